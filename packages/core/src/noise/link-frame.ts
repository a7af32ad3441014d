import { KithError } from '../errors.ts';
import { NOISE_MAX_PLAINTEXT } from './transport.ts';

/**
 * The plaintext of every link transport message (docs/PROTOCOL.md "Frames"): one kind byte,
 * then the body. A message larger than one Noise message travels as MORE fragments closed by
 * one DATA fragment.
 */
export const FRAME_KIND = {
  /** First transport message from the initiator: proves it completed the handshake. Empty body. */
  CONFIRM: 0x00,
  /** The last (or only) fragment of an application message. */
  DATA: 0x01,
  /** A fragment with more to follow. */
  MORE: 0x02,
} as const;
export type FrameKind = (typeof FRAME_KIND)[keyof typeof FRAME_KIND];

/** Application bytes carried by one transport message. */
export const MAX_FRAGMENT = NOISE_MAX_PLAINTEXT - 1;

export function encodeFrame(kind: FrameKind, body: Uint8Array): Uint8Array {
  if (body.length > MAX_FRAGMENT)
    throw new KithError('NOISE_MESSAGE_TOO_LARGE', 'A frame body is too large.');
  const out = new Uint8Array(body.length + 1);
  out[0] = kind;
  out.set(body, 1);
  return out;
}

/** Splits an application message into frames (a zero-length message is one empty DATA frame). */
export function fragmentMessage(message: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let offset = 0;
  do {
    const end = Math.min(offset + MAX_FRAGMENT, message.length);
    frames.push(
      encodeFrame(end === message.length ? FRAME_KIND.DATA : FRAME_KIND.MORE, message.subarray(offset, end)),
    );
    offset = end;
  } while (offset < message.length);
  return frames;
}

export function decodeFrame(plaintext: Uint8Array): { kind: FrameKind; body: Uint8Array } | undefined {
  const kind = plaintext[0];
  if (kind !== FRAME_KIND.CONFIRM && kind !== FRAME_KIND.DATA && kind !== FRAME_KIND.MORE) return undefined;
  if (kind === FRAME_KIND.CONFIRM && plaintext.length !== 1) return undefined;
  // fragmentMessage never sends an empty MORE; accepting one would let a peer grow the
  // reassembly list without adding a byte to the size it is checked against.
  if (kind === FRAME_KIND.MORE && plaintext.length === 1) return undefined;
  return { kind, body: plaintext.subarray(1) };
}
