/**
 * User and device ids (docs/DESIGN.md §4): base32 of a hash of the public key, with a check
 * character, grouped for reading aloud.
 *
 *   id = crockford32( SHA-256( label || publicKey )[0..15] )  -> 24 characters (120 bits)
 *        + one check character (a weighted sum over GF(32))   -> 25 characters
 *   shown as five groups of five: "k7q2m-9xw4e-…"
 *
 * Crockford's alphabet has no I, L, O or U, and reading is forgiving: case, spaces and dashes
 * are ignored and I/L read as 1, O as 0. The check character catches every single-character
 * mistake and every swap of two neighbouring characters.
 */
import type { CryptoBackend } from './crypto/backend.ts';
import { defaultBackend } from './crypto/index.ts';
import { KithError } from './errors.ts';
import { HASH, frameWithLabel } from './labels.ts';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const ID_BYTES = 15;
const BODY_CHARS = 24;

export type UserId = string & { readonly __brand: 'UserId' };
export type DeviceId = string & { readonly __brand: 'DeviceId' };

function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Multiplication by α in GF(32) = GF(2)[x]/(x^5 + x^2 + 1). */
function timesAlpha(v: number): number {
  const shifted = v << 1;
  return shifted & 32 ? (shifted ^ 0b100101) & 31 : shifted;
}

/**
 * Check character: Σ α^i · v_i over GF(32). A single changed character changes the sum by
 * α^i · (v − v') ≠ 0; swapping neighbours changes it by α^i (1 + α)(v_i + v_{i+1}) ≠ 0. So every
 * single typo and every swap of two different neighbouring characters is caught.
 */
function checkChar(body: string): string {
  let sum = 0;
  let weight = 1;
  for (const c of body) {
    let term = ALPHABET.indexOf(c);
    // term · weight, by shift-and-add over the bits of weight
    let product = 0;
    for (let w = weight; w !== 0; w >>= 1) {
      if (w & 1) product ^= term;
      term = timesAlpha(term);
    }
    sum ^= product;
    weight = timesAlpha(weight);
  }
  return ALPHABET[sum]!;
}

function group(raw: string): string {
  return raw.match(/.{1,5}/g)!.join('-');
}

function makeId(label: string, publicKey: Uint8Array, backend: CryptoBackend): string {
  const digest = backend.sha256(frameWithLabel(label, publicKey)).subarray(0, ID_BYTES);
  const body = base32(digest);
  return group(body + checkChar(body));
}

export function userIdFromRootKey(rootPublicKey: Uint8Array, backend = defaultBackend()): UserId {
  return makeId(HASH.USER_ID, rootPublicKey, backend) as UserId;
}

export function deviceIdFromSigningKey(devicePublicKey: Uint8Array, backend = defaultBackend()): DeviceId {
  return makeId(HASH.DEVICE_ID, devicePublicKey, backend) as DeviceId;
}

/** Normalise what a person typed; throws ID_INVALID when the shape or check character is wrong. */
export function parseId(text: string): string {
  const raw = text.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  if (raw.length !== BODY_CHARS + 1 || ![...raw].every((c) => ALPHABET.includes(c))) {
    throw new KithError('ID_INVALID', `An id has ${BODY_CHARS + 1} letters and digits, in groups of five.`);
  }
  const body = raw.slice(0, BODY_CHARS);
  if (checkChar(body) !== raw[BODY_CHARS]) {
    throw new KithError(
      'ID_INVALID',
      'Its check character does not match: a character is probably mistyped.',
    );
  }
  return group(raw);
}

export const parseUserId = (text: string): UserId => parseId(text) as UserId;
export const parseDeviceId = (text: string): DeviceId => parseId(text) as DeviceId;

/** Exposed for tests. */
export const _internal = { base32, checkChar, ALPHABET };
