import { xchacha20poly1305, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { KithError } from '../errors.ts';
import type { CryptoBackend } from './backend.ts';
import { assertLength, isAllZero } from './bytes.ts';
import { ed25519CofactorlessHolds, ed25519StrictPrecheck } from './ed25519-strict.ts';

function open(
  cipher: typeof chacha20poly1305 | typeof xchacha20poly1305,
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  try {
    return cipher(key, nonce, aad).decrypt(sealed);
  } catch (cause) {
    throw new KithError('CRYPTO_DECRYPT_FAILED', undefined, { cause });
  }
}

export const nobleBackend: CryptoBackend = {
  name: 'noble',
  ed25519PublicKey(seed) {
    assertLength(seed, 32, 'Ed25519 seed');
    return ed25519.getPublicKey(seed);
  },
  ed25519Sign(message, seed) {
    assertLength(seed, 32, 'Ed25519 seed');
    return ed25519.sign(message, seed);
  },
  ed25519Verify(signature, message, publicKey) {
    // Kith's strict rule (ed25519-strict.ts): the same outcome as the native backend.
    if (!ed25519StrictPrecheck(signature, publicKey)) return false;
    try {
      return (
        ed25519.verify(signature, message, publicKey, { zip215: false }) &&
        ed25519CofactorlessHolds(signature, message, publicKey)
      );
    } catch {
      return false;
    }
  },
  x25519PublicKey(privateKey) {
    assertLength(privateKey, 32, 'X25519 private key');
    return x25519.getPublicKey(privateKey);
  },
  x25519(privateKey, publicKey) {
    assertLength(privateKey, 32, 'X25519 private key');
    assertLength(publicKey, 32, 'X25519 public key');
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(privateKey, publicKey);
    } catch (cause) {
      throw new KithError('CRYPTO_WEAK_SHARED_SECRET', undefined, { cause });
    }
    if (isAllZero(shared)) throw new KithError('CRYPTO_WEAK_SHARED_SECRET');
    return shared;
  },
  chacha20poly1305Seal(key, nonce, plaintext, aad) {
    assertLength(key, 32, 'ChaCha20-Poly1305 key');
    assertLength(nonce, 12, 'ChaCha20-Poly1305 nonce');
    return chacha20poly1305(key, nonce, aad).encrypt(plaintext);
  },
  chacha20poly1305Open(key, nonce, sealed, aad) {
    assertLength(key, 32, 'ChaCha20-Poly1305 key');
    assertLength(nonce, 12, 'ChaCha20-Poly1305 nonce');
    return open(chacha20poly1305, key, nonce, sealed, aad);
  },
  xchacha20poly1305Seal(key, nonce, plaintext, aad) {
    assertLength(key, 32, 'XChaCha20-Poly1305 key');
    assertLength(nonce, 24, 'XChaCha20-Poly1305 nonce');
    return xchacha20poly1305(key, nonce, aad).encrypt(plaintext);
  },
  xchacha20poly1305Open(key, nonce, sealed, aad) {
    assertLength(key, 32, 'XChaCha20-Poly1305 key');
    assertLength(nonce, 24, 'XChaCha20-Poly1305 nonce');
    return open(xchacha20poly1305, key, nonce, sealed, aad);
  },
  sha256: (data) => sha256(data),
  sha512: (data) => sha512(data),
  hmacSha256: (key, data) => hmac(sha256, key, data),
  hmacSha512: (key, data) => hmac(sha512, key, data),
  hkdfSha256(ikm, salt, info, length) {
    // RFC 5869 §2.3: L <= 255 * HashLen; both backends refuse larger requests the same way.
    if (!Number.isInteger(length) || length < 0 || length > 255 * 32) {
      throw new KithError('INVALID_INPUT', 'HKDF-SHA256 output length must be at most 8160 bytes.');
    }
    return hkdf(sha256, ikm, salt, info, length);
  },
  pbkdf2Sha512: (password, salt, iterations, length) =>
    pbkdf2(sha512, password, salt, { c: iterations, dkLen: length }),
};
