import { concatBytes } from '../crypto/bytes.ts';
import { KithError } from '../errors.ts';
import { frameWithLabel, KDF } from '../labels.ts';
import { computeMac1, MAC1_LEN, mac1Key, verifyMac1 } from './mac1.ts';
import { TAI64N_LEN } from './tai64n.ts';

/**
 * The link hello (docs/PROTOCOL.md "Handshake"): what an initiator puts in the WebSocket
 * upgrade request. Fixed layout, fixed length per mode:
 *
 *   version (1) || mode (1) || inviteId (16, IKpsk2 only) || Noise message 1 || mac1 (16)
 */
export const LINK_VERSION = 1;
export const INVITE_ID_LEN = 16;
export type LinkMode = 'IK' | 'IKpsk2';

const MODE_BYTE: Record<LinkMode, number> = { IK: 0, IKpsk2: 1 };

/** IK message 1: e (32) || encrypted s (32 + 16) || encrypted TAI64N payload (12 + 16). */
export const LINK_MESSAGE1_LEN = 32 + 48 + TAI64N_LEN + 16;

export function linkProtocolName(mode: LinkMode): string {
  return `Noise_${mode}_25519_ChaChaPoly_BLAKE2b`;
}

export function linkHelloLength(mode: LinkMode): number {
  return 2 + (mode === 'IKpsk2' ? INVITE_ID_LEN : 0) + LINK_MESSAGE1_LEN + MAC1_LEN;
}

/** The clear header fields, bound into the Noise prologue so they cannot be altered in flight. */
export function linkPrologue(mode: LinkMode, inviteId?: Uint8Array): Uint8Array {
  return frameWithLabel(KDF.LINK_PROLOGUE, linkHelloHeader(mode, inviteId));
}

function linkHelloHeader(mode: LinkMode, inviteId?: Uint8Array): Uint8Array {
  if (mode === 'IKpsk2' ? inviteId?.length !== INVITE_ID_LEN : inviteId !== undefined) {
    throw new KithError('INVALID_INPUT', 'An invite id (16 bytes) goes with IKpsk2 and only with it.');
  }
  return concatBytes(Uint8Array.of(LINK_VERSION, MODE_BYTE[mode]), inviteId ?? new Uint8Array(0));
}

export interface LinkHello {
  mode: LinkMode;
  inviteId: Uint8Array | undefined;
  noiseMessage: Uint8Array;
}

export function encodeLinkHello(hello: LinkHello, responderStaticPublicKey: Uint8Array): Uint8Array {
  if (hello.noiseMessage.length !== LINK_MESSAGE1_LEN) {
    throw new KithError('INVALID_INPUT', 'The first handshake message has the wrong length.');
  }
  const body = concatBytes(linkHelloHeader(hello.mode, hello.inviteId), hello.noiseMessage);
  return concatBytes(body, computeMac1(mac1Key(responderStaticPublicKey), body));
}

/**
 * Cheap checks before any public-key operation: version, mode, exact length and mac1.
 * Returns undefined on any failure; the caller answers nothing. `key` is `mac1Key(own public)`.
 */
export function decodeLinkHello(bytes: Uint8Array, key: Uint8Array): LinkHello | undefined {
  if (bytes.length < 2 || bytes[0] !== LINK_VERSION) return undefined;
  const mode: LinkMode | undefined = bytes[1] === 0 ? 'IK' : bytes[1] === 1 ? 'IKpsk2' : undefined;
  if (mode === undefined || bytes.length !== linkHelloLength(mode)) return undefined;
  const macAt = bytes.length - MAC1_LEN;
  if (!verifyMac1(key, bytes.subarray(0, macAt), bytes.subarray(macAt))) return undefined;
  const headerLen = 2 + (mode === 'IKpsk2' ? INVITE_ID_LEN : 0);
  return {
    mode,
    inviteId: mode === 'IKpsk2' ? bytes.slice(2, headerLen) : undefined,
    noiseMessage: bytes.slice(headerLen, macAt),
  };
}
