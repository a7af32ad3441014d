import type { CryptoBackend, RandomSource } from '../crypto/backend.ts';
import { KithError } from '../errors.ts';
import type { NoiseKeyPair } from './dh25519.ts';
import { HandshakeState, type NoiseCipherPair } from './handshake-state.ts';
import {
  encodeLinkHello,
  type LinkHello,
  type LinkMode,
  linkProtocolName,
  linkPrologue,
} from './link-hello.ts';
import { decodeTai64n, encodeTai64n } from './tai64n.ts';

/**
 * The Kith link handshake as pure steps (docs/PROTOCOL.md "Handshake"): Noise IK, or IKpsk2 for
 * a first contact from an invite, with a TAI64N timestamp as the payload of message 1 and an
 * empty payload in message 2. The I/O around it lives in services/agent/src/link.
 */
export interface LinkHandshakeResult {
  ciphers: NoiseCipherPair;
  handshakeHash: Uint8Array;
  remoteStaticKey: Uint8Array;
}

export interface LinkInitiatorOptions {
  staticKeyPair: NoiseKeyPair;
  remoteStaticKey: Uint8Array;
  /** Present for a first contact from an invite: then the mode is IKpsk2. */
  invite?: { id: Uint8Array; psk: Uint8Array };
  /** Unix time in nanoseconds; must grow strictly from one hello to the next to the same peer. */
  timestampNanos: bigint;
  random: RandomSource;
  backend?: CryptoBackend;
}

export function createLinkHello(options: LinkInitiatorOptions): {
  hello: Uint8Array;
  handshake: HandshakeState;
} {
  const mode: LinkMode = options.invite ? 'IKpsk2' : 'IK';
  const handshake = new HandshakeState({
    protocol: linkProtocolName(mode),
    initiator: true,
    prologue: linkPrologue(mode, options.invite?.id),
    s: options.staticKeyPair,
    rs: options.remoteStaticKey,
    psks: options.invite ? [options.invite.psk] : [],
    random: options.random,
    ...(options.backend ? { backend: options.backend } : {}),
  });
  const noiseMessage = handshake.writeMessage(encodeTai64n(options.timestampNanos));
  const hello = encodeLinkHello(
    { mode, inviteId: options.invite?.id, noiseMessage },
    options.remoteStaticKey,
  );
  return { hello, handshake };
}

/** Initiator: reads message 2 (its payload must be empty in v1). */
export function finishLinkHandshake(handshake: HandshakeState, message2: Uint8Array): LinkHandshakeResult {
  const payload = handshake.readMessage(message2);
  if (payload.length !== 0) throw new KithError('NOISE_HANDSHAKE_FAILED', 'Unexpected payload in message 2.');
  return result(handshake);
}

export interface ReceivedLinkHello {
  handshake: HandshakeState;
  initiatorStaticKey: Uint8Array;
  /** Unix time in nanoseconds claimed (and authenticated) by the initiator. */
  timestampNanos: bigint;
}

/** Responder: decrypts message 1 of a hello whose mac1 already checked out. Throws on failure. */
export function readLinkHello(
  hello: LinkHello,
  options: { staticKeyPair: NoiseKeyPair; psk?: Uint8Array; random: RandomSource; backend?: CryptoBackend },
): ReceivedLinkHello {
  if ((hello.mode === 'IKpsk2') !== (options.psk !== undefined)) {
    throw new KithError('NOISE_HANDSHAKE_FAILED', 'A pre-shared key goes with IKpsk2 and only with it.');
  }
  const handshake = new HandshakeState({
    protocol: linkProtocolName(hello.mode),
    initiator: false,
    prologue: linkPrologue(hello.mode, hello.inviteId),
    s: options.staticKeyPair,
    psks: options.psk ? [options.psk] : [],
    random: options.random,
    ...(options.backend ? { backend: options.backend } : {}),
  });
  const timestampNanos = decodeTai64n(handshake.readMessage(hello.noiseMessage));
  const initiatorStaticKey = handshake.getRemoteStaticKey();
  if (timestampNanos === undefined || initiatorStaticKey === undefined) {
    throw new KithError('NOISE_HANDSHAKE_FAILED', 'Message 1 does not carry a valid timestamp.');
  }
  return { handshake, initiatorStaticKey, timestampNanos };
}

/** Responder: writes message 2 and completes the handshake. */
export function answerLinkHello(handshake: HandshakeState): { message2: Uint8Array } & LinkHandshakeResult {
  const message2 = handshake.writeMessage(new Uint8Array(0));
  return { message2, ...result(handshake) };
}

function result(handshake: HandshakeState): LinkHandshakeResult {
  return {
    ciphers: handshake.split(),
    handshakeHash: handshake.getHandshakeHash(),
    remoteStaticKey: handshake.getRemoteStaticKey()!,
  };
}
