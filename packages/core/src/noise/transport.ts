import { KithError } from '../errors.ts';
import type { CipherState } from './cipher-state.ts';
import type { NoiseCipherPair } from './handshake-state.ts';
import { NOISE_MAX_MESSAGE } from './handshake-state.ts';

/**
 * Kith's rekey bound (docs/PROTOCOL.md "Transport"): each direction calls Rekey() (§11.3) after
 * every 2^16 messages. Both ends count the same messages in the same order, so they rekey at
 * the same point without any signalling.
 */
export const REKEY_INTERVAL = 65536;

/** Largest transport plaintext: a Noise message is at most 65535 bytes, 16 of them the tag. */
export const NOISE_MAX_PLAINTEXT = NOISE_MAX_MESSAGE - 16;

const EMPTY = new Uint8Array(0);

/**
 * A Noise transport session: the two CipherStates from Split() plus the deterministic rekey
 * schedule. Messages must be decrypted in the order they were encrypted (a reliable, ordered
 * carrier such as a WebSocket).
 */
export class NoiseTransport {
  private readonly sendCipher: CipherState;
  private readonly receiveCipher: CipherState;
  private readonly rekeyInterval: bigint;

  constructor(ciphers: NoiseCipherPair, rekeyInterval: number = REKEY_INTERVAL) {
    if (!Number.isSafeInteger(rekeyInterval) || rekeyInterval < 1) {
      throw new KithError('INVALID_INPUT', 'The rekey interval must be a positive whole number.');
    }
    this.sendCipher = ciphers.send;
    this.receiveCipher = ciphers.receive;
    this.rekeyInterval = BigInt(rekeyInterval);
  }

  /** Messages sent / received so far (the CipherState nonces: Rekey() keeps n). */
  get sent(): bigint {
    return this.sendCipher.nonce;
  }

  get received(): bigint {
    return this.receiveCipher.nonce;
  }

  encrypt(plaintext: Uint8Array): Uint8Array {
    if (plaintext.length > NOISE_MAX_PLAINTEXT) {
      throw new KithError(
        'NOISE_MESSAGE_TOO_LARGE',
        `A transport message carries at most ${NOISE_MAX_PLAINTEXT} bytes.`,
      );
    }
    const out = this.sendCipher.encryptWithAd(EMPTY, plaintext);
    if (this.sendCipher.nonce % this.rekeyInterval === 0n) this.sendCipher.rekey();
    return out;
  }

  /** Throws CRYPTO_DECRYPT_FAILED on a forged, reordered or corrupted message. */
  decrypt(ciphertext: Uint8Array): Uint8Array {
    if (ciphertext.length > NOISE_MAX_MESSAGE) {
      throw new KithError('NOISE_MESSAGE_TOO_LARGE', 'A transport message exceeds 65535 bytes.');
    }
    const out = this.receiveCipher.decryptWithAd(EMPTY, ciphertext);
    if (this.receiveCipher.nonce % this.rekeyInterval === 0n) this.receiveCipher.rekey();
    return out;
  }
}
