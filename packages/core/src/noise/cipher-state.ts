import type { CryptoBackend } from '../crypto/backend.ts';
import { KithError } from '../errors.ts';

/** 2^64 - 1: reserved by the spec (§5.1) for Rekey() and never used to encrypt a message. */
export const MAX_NONCE = 0xffff_ffff_ffff_ffffn;
const KEY_LEN = 32;
const ZEROS_32 = new Uint8Array(32);
const EMPTY = new Uint8Array(0);

/** ChaChaPoly nonce (§12.3): 4 zero bytes || 8-byte little-endian counter. */
export function chachaPolyNonce(n: bigint): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, n, true);
  return nonce;
}

/**
 * CipherState (Noise spec rev 34, §5.1) for ChaChaPoly: a key k (or none) and a 64-bit
 * nonce n. Without a key, encrypt/decrypt pass the data through unchanged.
 */
export class CipherState {
  private k: Uint8Array | undefined;
  private n = 0n;
  private readonly backend: CryptoBackend;

  constructor(backend: CryptoBackend, key?: Uint8Array) {
    this.backend = backend;
    if (key !== undefined) this.initializeKey(key);
  }

  initializeKey(key: Uint8Array | undefined): void {
    if (key !== undefined && key.length !== KEY_LEN) {
      throw new KithError('CRYPTO_BAD_KEY', 'A Noise cipher key must be 32 bytes.');
    }
    this.k = key === undefined ? undefined : key.slice();
    this.n = 0n;
  }

  hasKey(): boolean {
    return this.k !== undefined;
  }

  /** The next nonce; exposed for tests and for the transport's deterministic rekey schedule. */
  get nonce(): bigint {
    return this.n;
  }

  setNonce(nonce: bigint): void {
    if (nonce < 0n || nonce > MAX_NONCE) throw new KithError('INVALID_INPUT', 'A Noise nonce is 64 bits.');
    this.n = nonce;
  }

  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (this.k === undefined) return plaintext.slice();
    this.assertNonceLeft();
    const out = this.backend.chacha20poly1305Seal(this.k, chachaPolyNonce(this.n), plaintext, ad);
    this.n += 1n;
    return out;
  }

  /** On a bad tag this throws and n is not incremented (§5.1). */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (this.k === undefined) return ciphertext.slice();
    this.assertNonceLeft();
    const out = this.backend.chacha20poly1305Open(this.k, chachaPolyNonce(this.n), ciphertext, ad);
    this.n += 1n;
    return out;
  }

  /** REKEY(k) (§4.2, §11.3): the first 32 bytes of ENCRYPT(k, 2^64-1, "", zeros). n is kept. */
  rekey(): void {
    if (this.k === undefined) throw new KithError('NOISE_BAD_STATE', 'Rekey needs a key.');
    const sealed = this.backend.chacha20poly1305Seal(this.k, chachaPolyNonce(MAX_NONCE), ZEROS_32, EMPTY);
    this.k = sealed.slice(0, KEY_LEN);
  }

  private assertNonceLeft(): void {
    if (this.n >= MAX_NONCE) throw new KithError('NOISE_NONCE_EXHAUSTED');
  }
}
