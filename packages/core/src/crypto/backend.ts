/**
 * The primitives Kith needs, behind one interface with two implementations:
 * `noble` (pure JS, audited @noble/*) and `native` (node:crypto, about 12x faster for
 * Ed25519 verify). Both must give byte-identical results; tests run both against the
 * public vectors.
 */
export interface CryptoBackend {
  readonly name: 'native' | 'noble';

  /** Ed25519 public key from a 32-byte private seed (RFC 8032). */
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  /** Ed25519 signature (64 bytes) of message under a 32-byte seed. */
  ed25519Sign(message: Uint8Array, seed: Uint8Array): Uint8Array;
  /** Strict RFC 8032 verification (canonical S, no ZIP-215 leniency). Never throws. */
  ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;

  /** X25519 public key from a 32-byte private key (RFC 7748). */
  x25519PublicKey(privateKey: Uint8Array): Uint8Array;
  /** X25519 shared secret. Throws CRYPTO_WEAK_SHARED_SECRET on an all-zero result. */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;

  /** ChaCha20-Poly1305 (RFC 8439), 12-byte nonce; returns ciphertext || 16-byte tag. */
  chacha20poly1305Seal(
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad?: Uint8Array,
  ): Uint8Array;
  /** Throws CRYPTO_DECRYPT_FAILED on a bad tag. */
  chacha20poly1305Open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array;
  /** XChaCha20-Poly1305, 24-byte nonce. */
  xchacha20poly1305Seal(
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad?: Uint8Array,
  ): Uint8Array;
  xchacha20poly1305Open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array;

  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  hmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-SHA256 (RFC 5869). */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** PBKDF2-HMAC-SHA512, used by BIP39 seed derivation. */
  pbkdf2Sha512(password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Uint8Array;
}

/** Randomness is injected (docs/DESIGN.md §3): core never reaches for a global source itself. */
export type RandomSource = (length: number) => Uint8Array;
