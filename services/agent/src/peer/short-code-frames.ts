/**
 * Framing of the short-code conversation (docs/PROTOCOL.md §9a): each message is a 2-byte
 * big-endian length and that many bytes of canonical CBOR, at most 4 KiB, over plain TCP. The
 * bytes need no secrecy of their own: CPace and the sealed long code carry it.
 */
import type { Socket } from 'node:net';
import { KithError } from '@kith/core/errors';

export const MAX_FRAME = 4096;

export function writeFrame(socket: Socket, bytes: Uint8Array): void {
  if (bytes.length > MAX_FRAME) throw new KithError('CODEC_OVERSIZE', 'A short-code frame is over 4 KiB.');
  const head = Buffer.alloc(2);
  head.writeUInt16BE(bytes.length);
  socket.write(Buffer.concat([head, bytes]));
}

/** Reads frames from a socket in order; each read fails on close, on an oversize frame or after `timeoutMs`. */
export class FrameReader {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private closed = false;

  constructor(socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      if (this.buffer.length > MAX_FRAME + 2) socket.destroy();
      this.waiting?.();
    });
    const done = () => {
      this.closed = true;
      this.waiting?.();
    };
    socket.on('close', done);
    socket.on('error', done);
  }

  async next(timeoutMs: number): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffer.length >= 2) {
        const length = this.buffer.readUInt16BE(0);
        if (length > MAX_FRAME) throw new KithError('CODEC_OVERSIZE', 'A short-code frame is over 4 KiB.');
        if (this.buffer.length >= 2 + length) {
          const frame = new Uint8Array(this.buffer.subarray(2, 2 + length));
          this.buffer = this.buffer.subarray(2 + length);
          return frame;
        }
      }
      if (this.closed) throw new KithError('PAIRING_FAILED', 'The other side closed the connection.');
      const left = deadline - Date.now();
      if (left <= 0) throw new KithError('PAIRING_FAILED', 'The other side did not answer in time.');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
  }
}
