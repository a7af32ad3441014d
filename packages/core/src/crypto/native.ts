/**
 * The native backend: node:crypto (OpenSSL) for every primitive, about 10x faster than pure
 * JS for Ed25519 verification. Raw 32-byte keys become KeyObjects per call (see
 * `privateKeyObject`); nothing secret is cached between calls. Only Ed25519 public keys that
 * passed the strict check are kept, for verification (`ed25519VerifyKey`).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
  pbkdf2Sync,
  sign,
  verify,
} from 'node:crypto';
import { hchacha } from '@noble/ciphers/chacha.js';
import { KithError } from '../errors.ts';
import type { CryptoBackend } from './backend.ts';
import { assertLength, concatBytes, isAllZero } from './bytes.ts';
import { ed25519PublicKeyAcceptable } from './ed25519-strict.ts';

const TAG_LENGTH = 16;

type OkpCurve = 'Ed25519' | 'X25519';

/*
 * Keys enter OpenSSL as JWK (RFC 8037 OKP) rather than as RFC 8410 PKCS#8 / SPKI DER: Node
 * turns an OKP JWK straight into EVP_PKEY_new_raw_{private,public}_key, while DER goes through
 * OpenSSL 3's decoder framework, measured here at ~540 us per private key and ~120 us per
 * public key against ~60 us and ~10 us (bench/crypto/run.ts shows the effect). For a private
 * key Node requires `x` to be a string but derives the public key from `d` itself, so `x` is
 * left empty; the RFC 8032 / RFC 7748 vectors catch any change in that behaviour. Node 24
 * rejects an empty `x`; there private keys go in as PKCS#8 (the appliance tier runs Node 24).
 */
function privateKeyObject(crv: OkpCurve, raw: Uint8Array): KeyObject {
  if (jwkWithoutX) {
    try {
      return createPrivateKey({ key: { kty: 'OKP', crv, d: base64url(raw), x: '' }, format: 'jwk' });
    } catch {
      // Node 24 checks `x` ("Invalid JWK OKP key"): from then on, PKCS#8 (slower, always accepted).
      jwkWithoutX = false;
    }
  }
  const der = Buffer.concat([PKCS8_PREFIX[crv], Buffer.from(raw.buffer, raw.byteOffset, raw.length)]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

let jwkWithoutX = true;
/** RFC 8410 PKCS#8 header of a 32-byte Ed25519 / X25519 private key. */
const PKCS8_PREFIX: Record<OkpCurve, Buffer> = {
  Ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
  X25519: Buffer.from('302e020100300506032b656e04220420', 'hex'),
};

function publicKeyObject(crv: OkpCurve, raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv, x: base64url(raw) }, format: 'jwk' });
}

/**
 * Ed25519 public KeyObjects of keys that passed the strict check, kept between verifications:
 * building one was 7% of a receiving agent's CPU (a friend's device signs every message it
 * sends; docs/ARCHITECTURE.md "Two `kith up` processes through the API"). Public keys only,
 * nothing secret; bounded, emptied when full (a device knows few signers).
 */
const VERIFY_KEYS_MAX = 1024;
const verifyKeys = new Map<string, KeyObject>();

function ed25519VerifyKey(raw: Uint8Array): KeyObject | undefined {
  const x = base64url(raw);
  let key = verifyKeys.get(x);
  if (key) return key;
  if (!ed25519PublicKeyAcceptable(raw)) return undefined;
  key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  if (verifyKeys.size >= VERIFY_KEYS_MAX) verifyKeys.clear();
  verifyKeys.set(x, key);
  return key;
}

/**
 * HKDF-SHA256 (RFC 5869 §2.2, §2.3) on node:crypto's HMAC. Node's hkdfSync cost about 1.5
 * times the CPU of the two HMACs it stands for here, and every message sealed derives its key
 * (docs/ARCHITECTURE.md "Two `kith up` processes through the API"); it also refused infos over
 * 1,024 bytes. An empty salt is HashLen zeros either way (HMAC pads its key).
 */
function hkdfOnHmac(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  const out = new Uint8Array(length);
  let t: Buffer = Buffer.alloc(0);
  for (let block = 1, at = 0; at < length; block++, at += 32) {
    const next = createHmac('sha256', prk).update(t).update(info).update(Uint8Array.of(block)).digest();
    t.fill(0);
    t = next;
    out.set(t.subarray(0, Math.min(32, length - at)), at);
  }
  prk.fill(0);
  t.fill(0);
  return out;
}

function base64url(raw: Uint8Array): string {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('base64url');
}

/** The raw 32-byte public key of a private KeyObject. */
function rawPublicKey(privateKey: KeyObject): Uint8Array {
  const { x } = createPublicKey(privateKey).export({ format: 'jwk' });
  return plain(Buffer.from(x ?? '', 'base64url'));
}

/** A plain Uint8Array copy, so callers never hold a Buffer (or a slice of Node's shared pool). */
function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

function chachaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH });
  if (aad) cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  return concatBytes(head, tail, cipher.getAuthTag());
}

function chachaOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  if (sealed.length < TAG_LENGTH)
    throw new KithError('CRYPTO_DECRYPT_FAILED', 'The ciphertext is too short.');
  const ciphertext = sealed.subarray(0, sealed.length - TAG_LENGTH);
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  if (aad) decipher.setAAD(aad, { plaintextLength: ciphertext.length });
  const head = decipher.update(ciphertext);
  try {
    // final() checks the tag; nothing decrypted is returned unless it matches.
    const tail = decipher.final();
    return concatBytes(head, tail);
  } catch (cause) {
    head.fill(0);
    throw new KithError('CRYPTO_DECRYPT_FAILED', undefined, { cause });
  }
}

// "expand 32-byte k" as little-endian words (RFC 8439 §2.3).
const SIGMA = Uint32Array.of(0x61707865, 0x3320646e, 0x79622d32, 0x6b206574);

/**
 * XChaCha20 (draft-irtf-cfrg-xchacha §2.3): subkey = HChaCha20(key, nonce[0..16]), then
 * ChaCha20-Poly1305 under the subkey with nonce 0x00000000 || nonce[16..24].
 */
function xchachaSubkeyAndNonce(
  key: Uint8Array,
  nonce: Uint8Array,
): { subkey: Uint8Array; nonce12: Uint8Array } {
  // Copies give 4-byte-aligned word views whatever the caller's offsets are.
  const k32 = new Uint32Array(8);
  new Uint8Array(k32.buffer).set(key);
  const n32 = new Uint32Array(4);
  new Uint8Array(n32.buffer).set(nonce.subarray(0, 16));
  const out = new Uint32Array(8);
  hchacha(SIGMA, k32, n32, out);
  k32.fill(0);
  const nonce12 = new Uint8Array(12);
  nonce12.set(nonce.subarray(16, 24), 4);
  return { subkey: new Uint8Array(out.buffer), nonce12 };
}

export const nativeBackend: CryptoBackend = {
  name: 'native',

  ed25519PublicKey(seed) {
    assertLength(seed, 32, 'Ed25519 seed');
    return rawPublicKey(privateKeyObject('Ed25519', seed));
  },
  ed25519Sign(message, seed) {
    assertLength(seed, 32, 'Ed25519 seed');
    return plain(sign(null, message, privateKeyObject('Ed25519', seed)));
  },
  ed25519Verify(signature, message, publicKey) {
    // ed25519StrictPrecheck: the signature's length here, the key's checks in ed25519VerifyKey.
    if (signature.length !== 64) return false;
    try {
      const key = ed25519VerifyKey(publicKey);
      if (!key) return false;
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  },

  x25519PublicKey(privateKey) {
    assertLength(privateKey, 32, 'X25519 private key');
    return rawPublicKey(privateKeyObject('X25519', privateKey));
  },
  x25519(privateKey, publicKey) {
    assertLength(privateKey, 32, 'X25519 private key');
    assertLength(publicKey, 32, 'X25519 public key');
    let shared: Uint8Array;
    try {
      shared = plain(
        diffieHellman({
          privateKey: privateKeyObject('X25519', privateKey),
          publicKey: publicKeyObject('X25519', publicKey),
        }),
      );
    } catch (cause) {
      // OpenSSL refuses to derive when the result is all zero (RFC 7748 §6.1).
      throw new KithError('CRYPTO_WEAK_SHARED_SECRET', undefined, { cause });
    }
    if (isAllZero(shared)) throw new KithError('CRYPTO_WEAK_SHARED_SECRET');
    return shared;
  },

  chacha20poly1305Seal(key, nonce, plaintext, aad) {
    assertLength(key, 32, 'ChaCha20-Poly1305 key');
    assertLength(nonce, 12, 'ChaCha20-Poly1305 nonce');
    return chachaSeal(key, nonce, plaintext, aad);
  },
  chacha20poly1305Open(key, nonce, sealed, aad) {
    assertLength(key, 32, 'ChaCha20-Poly1305 key');
    assertLength(nonce, 12, 'ChaCha20-Poly1305 nonce');
    return chachaOpen(key, nonce, sealed, aad);
  },
  xchacha20poly1305Seal(key, nonce, plaintext, aad) {
    assertLength(key, 32, 'XChaCha20-Poly1305 key');
    assertLength(nonce, 24, 'XChaCha20-Poly1305 nonce');
    const { subkey, nonce12 } = xchachaSubkeyAndNonce(key, nonce);
    try {
      return chachaSeal(subkey, nonce12, plaintext, aad);
    } finally {
      subkey.fill(0);
    }
  },
  xchacha20poly1305Open(key, nonce, sealed, aad) {
    assertLength(key, 32, 'XChaCha20-Poly1305 key');
    assertLength(nonce, 24, 'XChaCha20-Poly1305 nonce');
    const { subkey, nonce12 } = xchachaSubkeyAndNonce(key, nonce);
    try {
      return chachaOpen(subkey, nonce12, sealed, aad);
    } finally {
      subkey.fill(0);
    }
  },

  sha256: (data) => plain(createHash('sha256').update(data).digest()),
  sha512: (data) => plain(createHash('sha512').update(data).digest()),
  hmacSha256: (key, data) => plain(createHmac('sha256', key).update(data).digest()),
  hmacSha512: (key, data) => plain(createHmac('sha512', key).update(data).digest()),
  hkdfSha256(ikm, salt, info, length) {
    // RFC 5869 §2.3: L <= 255 * HashLen; both backends refuse larger requests the same way.
    if (!Number.isInteger(length) || length < 0 || length > 255 * 32) {
      throw new KithError('INVALID_INPUT', 'HKDF-SHA256 output length must be at most 8160 bytes.');
    }
    return hkdfOnHmac(ikm, salt, info, length);
  },
  pbkdf2Sha512: (password, salt, iterations, length) =>
    plain(pbkdf2Sync(password, salt, iterations, length, 'sha512')),
};
