import type { CryptoBackend, RandomSource } from '../crypto/backend.ts';
import { concatBytes } from '../crypto/bytes.ts';
import { defaultBackend } from '../crypto/index.ts';
import { isKithError, KithError } from '../errors.ts';
import type { CipherState } from './cipher-state.ts';
import { DH_LEN, generateNoiseKeyPair, type NoiseKeyPair } from './dh25519.ts';
import { blake2bNoiseHash, sha256NoiseHash } from './hash.ts';
import { type NoiseProtocol, parseProtocolName } from './protocol-name.ts';
import { pskCount } from './patterns.ts';
import { SymmetricState } from './symmetric-state.ts';

/** Every Noise message is at most 65535 bytes (§3). */
export const NOISE_MAX_MESSAGE = 65535;
const TAG_LEN = 16;
const PSK_LEN = 32;

export interface HandshakeOptions {
  /** e.g. `Noise_IK_25519_ChaChaPoly_BLAKE2b`. */
  protocol: string | NoiseProtocol;
  initiator: boolean;
  prologue?: Uint8Array;
  /** Local static key pair. */
  s?: NoiseKeyPair;
  /** Local ephemeral key pair: only for known-answer tests; otherwise drawn from `random`. */
  e?: NoiseKeyPair;
  /** Remote static public key, when known in advance (IK initiator). */
  rs?: Uint8Array;
  /** Remote ephemeral public key, when known in advance (no pattern here uses it). */
  re?: Uint8Array;
  /** Pre-shared keys, 32 bytes each, in the order the pattern's `psk` tokens use them. */
  psks?: Uint8Array[];
  backend?: CryptoBackend;
  /** Source of ephemeral private keys. */
  random?: RandomSource;
}

/** The two transport CipherStates, named from this side's point of view. */
export interface NoiseCipherPair {
  send: CipherState;
  receive: CipherState;
}

/**
 * HandshakeState (Noise spec rev 34, §5.3). Call writeMessage/readMessage in the order of the
 * pattern; once `isComplete()` the transport ciphers come from `split()`. Any failure leaves the
 * state unusable (a failed handshake must be abandoned, §5.3).
 */
export class HandshakeState {
  readonly protocol: NoiseProtocol;
  readonly initiator: boolean;
  private readonly ss: SymmetricState;
  private readonly backend: CryptoBackend;
  private readonly random: RandomSource | undefined;
  private readonly s: NoiseKeyPair | undefined;
  private e: NoiseKeyPair | undefined;
  private rs: Uint8Array | undefined;
  private re: Uint8Array | undefined;
  private readonly psks: Uint8Array[];
  private psksUsed = 0;
  private messageIndex = 0;
  private failed = false;

  constructor(options: HandshakeOptions) {
    this.protocol =
      typeof options.protocol === 'string' ? parseProtocolName(options.protocol) : options.protocol;
    this.initiator = options.initiator;
    this.backend = options.backend ?? defaultBackend();
    this.random = options.random;
    this.s = options.s;
    this.e = options.e;
    this.rs = options.rs?.slice();
    this.re = options.re?.slice();
    this.psks = (options.psks ?? []).map((p) => p.slice());
    const pattern = this.protocol.pattern;
    if (this.psks.length !== pskCount(pattern) || this.psks.some((p) => p.length !== PSK_LEN)) {
      throw new KithError(
        'NOISE_BAD_STATE',
        `${pattern.name} needs exactly ${pskCount(pattern)} pre-shared key(s) of 32 bytes.`,
      );
    }
    const hashFn = this.protocol.hash === 'BLAKE2b' ? blake2bNoiseHash : sha256NoiseHash(this.backend);
    this.ss = new SymmetricState(this.protocol.name, hashFn, this.backend);
    this.ss.mixHash(options.prologue ?? new Uint8Array(0));
    // Pre-messages (§7.1): the initiator's keys first, then the responder's.
    this.mixPreMessage(pattern.preInitiator, this.initiator);
    this.mixPreMessage(pattern.preResponder, !this.initiator);
  }

  /** True when it is this side's turn to write. */
  isMyTurn(): boolean {
    return !this.isComplete() && this.messageIndex % 2 === (this.initiator ? 0 : 1);
  }

  isComplete(): boolean {
    return this.messageIndex >= this.protocol.pattern.messages.length;
  }

  /** h: a transcript hash both sides share, usable for channel binding (§11.2). */
  getHandshakeHash(): Uint8Array {
    return this.ss.getHandshakeHash();
  }

  /** The remote static public key once known (pre-message or received). */
  getRemoteStaticKey(): Uint8Array | undefined {
    return this.rs?.slice();
  }

  writeMessage(payload: Uint8Array): Uint8Array {
    this.assertUsable();
    if (!this.isMyTurn()) throw new KithError('NOISE_BAD_STATE', 'It is not this side’s turn to write.');
    try {
      const tokens = this.protocol.pattern.messages[this.messageIndex]!;
      const parts: Uint8Array[] = [];
      for (const token of tokens) {
        switch (token) {
          case 'e': {
            if (this.e === undefined) {
              if (this.random === undefined) {
                throw new KithError('NOISE_BAD_STATE', 'A random source is needed for ephemeral keys.');
              }
              this.e = generateNoiseKeyPair(this.backend, this.random);
            }
            parts.push(this.e.publicKey);
            this.mixEphemeral(this.e.publicKey);
            break;
          }
          case 's':
            parts.push(this.ss.encryptAndHash(this.need(this.s, 's').publicKey));
            break;
          case 'psk':
            this.ss.mixKeyAndHash(this.nextPsk());
            break;
          default:
            this.ss.mixKey(this.dh(token));
        }
      }
      parts.push(this.ss.encryptAndHash(payload));
      const message = concatBytes(...parts);
      if (message.length > NOISE_MAX_MESSAGE) {
        throw new KithError('NOISE_MESSAGE_TOO_LARGE', 'A handshake message would exceed 65535 bytes.');
      }
      this.messageIndex += 1;
      return message;
    } catch (e) {
      this.failed = true;
      throw e;
    }
  }

  /** Returns the payload. Throws NOISE_HANDSHAKE_FAILED on anything malformed or forged. */
  readMessage(message: Uint8Array): Uint8Array {
    this.assertUsable();
    if (this.isComplete() || this.isMyTurn()) {
      throw new KithError('NOISE_BAD_STATE', 'It is not this side’s turn to read.');
    }
    try {
      if (message.length > NOISE_MAX_MESSAGE) {
        throw new KithError('NOISE_MESSAGE_TOO_LARGE', 'A handshake message exceeds 65535 bytes.');
      }
      const tokens = this.protocol.pattern.messages[this.messageIndex]!;
      let offset = 0;
      const take = (n: number): Uint8Array => {
        if (offset + n > message.length) throw new KithError('NOISE_HANDSHAKE_FAILED', 'Message too short.');
        const out = message.subarray(offset, offset + n);
        offset += n;
        return out;
      };
      for (const token of tokens) {
        switch (token) {
          case 'e':
            this.re = take(DH_LEN).slice();
            this.mixEphemeral(this.re);
            break;
          case 's':
            this.rs = this.ss.decryptAndHash(take(this.ss.hasKey() ? DH_LEN + TAG_LEN : DH_LEN));
            break;
          case 'psk':
            this.ss.mixKeyAndHash(this.nextPsk());
            break;
          default:
            this.ss.mixKey(this.dh(token));
        }
      }
      const payload = this.ss.decryptAndHash(message.subarray(offset));
      this.messageIndex += 1;
      return payload;
    } catch (e) {
      this.failed = true;
      if (isKithError(e, 'NOISE_BAD_STATE')) throw e;
      throw new KithError('NOISE_HANDSHAKE_FAILED', undefined, { cause: e });
    }
  }

  /** The transport ciphers, from this side's point of view (Split(), §5.2). */
  split(): NoiseCipherPair {
    this.assertUsable();
    if (!this.isComplete()) throw new KithError('NOISE_BAD_STATE', 'The handshake is not complete.');
    const [c1, c2] = this.ss.split();
    return this.initiator ? { send: c1, receive: c2 } : { send: c2, receive: c1 };
  }

  private mixPreMessage(tokens: readonly ('e' | 's')[], mine: boolean): void {
    for (const token of tokens) {
      const key = token === 's' ? (mine ? this.s?.publicKey : this.rs) : mine ? this.e?.publicKey : this.re;
      const pub = this.need(key, `pre-message ${token}`);
      this.ss.mixHash(pub);
      if (token === 'e' && this.protocol.pattern.usesPsk) this.ss.mixKey(pub);
    }
  }

  /** `e` token: MixHash, and in psk handshakes also MixKey (§9.2). */
  private mixEphemeral(publicKey: Uint8Array): void {
    this.ss.mixHash(publicKey);
    if (this.protocol.pattern.usesPsk) this.ss.mixKey(publicKey);
  }

  /** ee/es/se/ss (§5.3): the first letter is the initiator's key, the second the responder's. */
  private dh(token: 'ee' | 'es' | 'se' | 'ss'): Uint8Array {
    const initiatorKey = token[0] === 'e' ? 'e' : 's';
    const responderKey = token[1] === 'e' ? 'e' : 's';
    const localKind = this.initiator ? initiatorKey : responderKey;
    const remoteKind = this.initiator ? responderKey : initiatorKey;
    const local = this.need(localKind === 'e' ? this.e : this.s, localKind);
    const remote = this.need(remoteKind === 'e' ? this.re : this.rs, `remote ${remoteKind}`);
    return this.backend.x25519(local.privateKey, remote);
  }

  private nextPsk(): Uint8Array {
    return this.need(this.psks[this.psksUsed++], 'psk');
  }

  private need<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new KithError('NOISE_BAD_STATE', `The handshake is missing key ${what}.`);
    return value;
  }

  private assertUsable(): void {
    if (this.failed) throw new KithError('NOISE_BAD_STATE', 'This handshake failed and cannot be used.');
  }
}
