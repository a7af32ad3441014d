/**
 * The native backend: node:crypto (OpenSSL) for every primitive, about 10x faster than pure
 * JS for Ed25519. Keys enter OpenSSL as KeyObjects built from DER: the raw 32-byte seed or
 * public key behind the fixed PKCS#8 / SPKI prefix of RFC 8410. Nothing secret is cached
 * between calls; every KeyObject lives only for the call that built it.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  type KeyObject,
  pbkdf2Sync,
  sign,
  verify,
} from 'node:crypto';
import { hchacha } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { KithError } from '../errors.ts';
import type { CryptoBackend } from './backend.ts';
import { assertLength, concatBytes, isAllZero } from './bytes.ts';
import { ed25519StrictPrecheck } from './ed25519-strict.ts';

// RFC 8410 §7 / §10: PKCS#8 OneAsymmetricKey and SubjectPublicKeyInfo with the raw key last.
const ED25519_PKCS8_PREFIX = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
);
const ED25519_SPKI_PREFIX = Uint8Array.of(
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x03,
  0x21,
  0x00,
);
const X25519_PKCS8_PREFIX = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x04,
  0x22,
  0x04,
  0x20,
);
const X25519_SPKI_PREFIX = Uint8Array.of(
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x03,
  0x21,
  0x00,
);

/** Node's hkdfSync refuses an info longer than this; longer infos go through @noble/hashes. */
const NODE_HKDF_MAX_INFO = 1024;
const TAG_LENGTH = 16;

function privateKeyObject(prefix: Uint8Array, raw: Uint8Array): KeyObject {
  const der = concatBytes(prefix, raw);
  try {
    return createPrivateKey({
      key: Buffer.from(der.buffer, der.byteOffset, der.length),
      format: 'der',
      type: 'pkcs8',
    });
  } finally {
    der.fill(0);
  }
}

function publicKeyObject(prefix: Uint8Array, raw: Uint8Array): KeyObject {
  const der = concatBytes(prefix, raw);
  return createPublicKey({
    key: Buffer.from(der.buffer, der.byteOffset, der.length),
    format: 'der',
    type: 'spki',
  });
}

/** The raw 32-byte public key: the tail of the SPKI encoding. */
function rawPublicKey(privateKey: KeyObject): Uint8Array {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(spki.length - 32));
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
    return rawPublicKey(privateKeyObject(ED25519_PKCS8_PREFIX, seed));
  },
  ed25519Sign(message, seed) {
    assertLength(seed, 32, 'Ed25519 seed');
    return plain(sign(null, message, privateKeyObject(ED25519_PKCS8_PREFIX, seed)));
  },
  ed25519Verify(signature, message, publicKey) {
    if (!ed25519StrictPrecheck(signature, publicKey)) return false;
    try {
      return verify(null, message, publicKeyObject(ED25519_SPKI_PREFIX, publicKey), signature);
    } catch {
      return false;
    }
  },

  x25519PublicKey(privateKey) {
    assertLength(privateKey, 32, 'X25519 private key');
    return rawPublicKey(privateKeyObject(X25519_PKCS8_PREFIX, privateKey));
  },
  x25519(privateKey, publicKey) {
    assertLength(privateKey, 32, 'X25519 private key');
    assertLength(publicKey, 32, 'X25519 public key');
    let shared: Uint8Array;
    try {
      shared = plain(
        diffieHellman({
          privateKey: privateKeyObject(X25519_PKCS8_PREFIX, privateKey),
          publicKey: publicKeyObject(X25519_SPKI_PREFIX, publicKey),
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
    if (info.length > NODE_HKDF_MAX_INFO) return hkdf(sha256, ikm, salt, info, length);
    return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
  },
  pbkdf2Sha512: (password, salt, iterations, length) =>
    plain(pbkdf2Sync(password, salt, iterations, length, 'sha512')),
};
