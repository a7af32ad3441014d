import type { CryptoBackend } from '../crypto/backend.ts';
import { concatBytes, utf8 } from '../crypto/bytes.ts';
import { CipherState } from './cipher-state.ts';
import { type NoiseHash, noiseHkdf } from './hash.ts';

const EMPTY = new Uint8Array(0);

/** HASHLEN 64 outputs are truncated to the 32-byte cipher key (§5.2). */
function cipherKey(bytes: Uint8Array): Uint8Array {
  return bytes.slice(0, 32);
}

/** SymmetricState (Noise spec rev 34, §5.2): chaining key ck, handshake hash h, a CipherState. */
export class SymmetricState {
  private readonly hashFn: NoiseHash;
  private readonly backend: CryptoBackend;
  private readonly cipher: CipherState;
  private ck: Uint8Array;
  private h: Uint8Array;

  /** InitializeSymmetric(protocol_name). */
  constructor(protocolName: string, hashFn: NoiseHash, backend: CryptoBackend) {
    this.hashFn = hashFn;
    this.backend = backend;
    const name = utf8.encode(protocolName);
    if (name.length <= hashFn.hashLen) {
      this.h = new Uint8Array(hashFn.hashLen);
      this.h.set(name);
    } else {
      this.h = hashFn.hash(name);
    }
    this.ck = this.h.slice();
    this.cipher = new CipherState(backend);
  }

  mixKey(inputKeyMaterial: Uint8Array): void {
    const [ck, tempK] = noiseHkdf(this.hashFn, this.ck, inputKeyMaterial, 2);
    this.ck = ck!;
    this.cipher.initializeKey(cipherKey(tempK!));
  }

  mixHash(data: Uint8Array): void {
    this.h = this.hashFn.hash(concatBytes(this.h, data));
  }

  /** Used for pre-shared keys (§9). */
  mixKeyAndHash(inputKeyMaterial: Uint8Array): void {
    const [ck, tempH, tempK] = noiseHkdf(this.hashFn, this.ck, inputKeyMaterial, 3);
    this.ck = ck!;
    this.mixHash(tempH!);
    this.cipher.initializeKey(cipherKey(tempK!));
  }

  getHandshakeHash(): Uint8Array {
    return this.h.slice();
  }

  hasKey(): boolean {
    return this.cipher.hasKey();
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipher.encryptWithAd(this.h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.cipher.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** Two CipherStates: the first for initiator -> responder, the second for the reverse. */
  split(): [CipherState, CipherState] {
    const [k1, k2] = noiseHkdf(this.hashFn, this.ck, EMPTY, 2);
    return [new CipherState(this.backend, cipherKey(k1!)), new CipherState(this.backend, cipherKey(k2!))];
  }
}
