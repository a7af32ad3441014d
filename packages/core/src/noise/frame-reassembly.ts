import { concatBytes } from '../crypto/index.ts';
import { decodeFrame, FRAME_KIND } from './link-frame.ts';

/**
 * Reassembly of a link's application messages from the plaintexts of its transport messages
 * (docs/PROTOCOL.md "Frames"): MORE fragments are kept until a DATA fragment closes the
 * message, and never more than `maxMessageBytes` of them. One per link direction; what it
 * refuses closes the link with that reason (services/agent/src/link/link.ts). Pure, so it is
 * fuzzed on its own (packages/core/test/fuzz/text-and-handshake.fuzz.test.ts).
 */
export type ReassemblyStep =
  /** A whole application message. */
  | { message: Uint8Array }
  /** A fragment kept; more must follow. */
  | { more: true }
  /** Not a frame a peer may send (an unknown kind, a CONFIRM, an empty MORE), or too large. */
  | { refused: 'protocol-error' | 'message-too-large' };

export class FrameReassembler {
  private fragments: Uint8Array[] = [];
  private bytes = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** Bytes held in fragments of the message under way (never above the limit). */
  get heldBytes(): number {
    return this.bytes;
  }

  push(plaintext: Uint8Array): ReassemblyStep {
    const frame = decodeFrame(plaintext);
    if (frame === undefined || frame.kind === FRAME_KIND.CONFIRM) return { refused: 'protocol-error' };
    if (this.bytes + frame.body.length > this.maxMessageBytes) return { refused: 'message-too-large' };
    if (frame.kind === FRAME_KIND.MORE) {
      this.fragments.push(frame.body.slice());
      this.bytes += frame.body.length;
      return { more: true };
    }
    const message =
      this.fragments.length === 0 ? frame.body.slice() : concatBytes(...this.fragments, frame.body);
    this.fragments = [];
    this.bytes = 0;
    return { message };
  }
}
