/**
 * Kith's Ed25519 verification rule, the same on both backends (docs/SECURITY.md,
 * "Cryptographic primitives"). RFC 8032 §5.1.7 leaves two choices open, and OpenSSL and
 * @noble/curves (zip215: false) take different ones; Kith takes the stricter side of each:
 *
 * - public key A: canonical encoding (y < p) and not one of the 8 small-order points (nor
 *   the two sign-bit variants of the x = 0 ones). noble already refuses these; OpenSSL
 *   accepts them, so this check runs before it.
 * - equation: cofactorless, [S]B = R + [k]A with R compared byte for byte. OpenSSL checks
 *   exactly this; noble checks the cofactored [8][S]B = [8]R + [8][k]A, which also accepts
 *   an R off by a small-order point, so the noble backend adds `ed25519CofactorlessHolds`.
 * - S < L and a canonical R are required by both libraries already.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from './bytes.ts';

// Hex of the 8 small-order points (canonical), then the two non-canonical sign-bit variants of
// the points with x = 0 (identity and (0, -1)). Computed as the multiples of an order-8 point.
const SMALL_ORDER_ENCODINGS = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '0000000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
].map((hex) => Uint8Array.from(hex.match(/../g)!, (b) => Number.parseInt(b, 16)));

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i]! ^ b[i]!;
  return acc === 0;
}

/** y >= p = 2^255 - 19, with the sign bit ignored: the only non-canonical y encodings. */
function yIsNonCanonical(encoded: Uint8Array): boolean {
  if ((encoded[31]! & 0x7f) !== 0x7f) return false;
  for (let i = 30; i >= 1; i--) if (encoded[i] !== 0xff) return false;
  return encoded[0]! >= 0xed;
}

/** A public key Kith accepts for verification: canonical and not of small order. */
export function ed25519PublicKeyAcceptable(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32 || yIsNonCanonical(publicKey)) return false;
  return !SMALL_ORDER_ENCODINGS.some((small) => equalBytes(small, publicKey));
}

/** The checks on public inputs both backends run before the library verifies. */
export function ed25519StrictPrecheck(signature: Uint8Array, publicKey: Uint8Array): boolean {
  return signature.length === 64 && ed25519PublicKeyAcceptable(publicKey);
}

function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/**
 * The cofactorless equation R == [S]B - [k]A, k = SHA-512(R || A || M) mod L (RFC 8032 §5.1.7),
 * R compared as bytes. Call only after `ed25519.verify(..., { zip215: false })` accepted, which
 * has already checked S < L and the canonical encodings of R and A.
 */
export function ed25519CofactorlessHolds(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  const { Point } = ed25519;
  const r = signature.subarray(0, 32);
  const s = bytesToNumberLE(signature.subarray(32, 64));
  const k = Point.Fn.create(bytesToNumberLE(sha512(concatBytes(r, publicKey, message))));
  const A = Point.fromBytes(publicKey);
  const expectedR = Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k));
  return equalBytes(expectedR.toBytes(), r);
}
