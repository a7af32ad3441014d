/**
 * Reads a wire message's `t` without decoding the rest, so a frame is held to its own type's
 * size limit before any of it is decoded (a friend could otherwise make every message cost a
 * full decode of the largest frame any message may have).
 */

/** Bounds the skip: deeper than the codec accepts is not a message. */
const MAX_DEPTH = 64;

/** The text of the top-level map's `t` key, or undefined when there is none or it is not text. */
export function peekMessageType(bytes: Uint8Array): string | undefined {
  const reader = new Reader(bytes);
  const head = reader.head();
  if (head?.major !== 5) return undefined;
  for (let i = 0; i < head.arg; i++) {
    const key = reader.head();
    if (key?.major !== 3) return undefined;
    const name = reader.text(key.arg);
    if (name === undefined) return undefined;
    if (name === 't') {
      const value = reader.head();
      return value?.major === 3 ? reader.text(value.arg) : undefined;
    }
    if (!reader.skip(0)) return undefined;
  }
  return undefined;
}

class Reader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  /** A definite-length item head: major type and argument (indefinite lengths are refused). */
  head(): { major: number; arg: number } | undefined {
    const first = this.bytes[this.at++];
    if (first === undefined) return undefined;
    const major = first >> 5;
    const info = first & 0x1f;
    if (info < 24) return { major, arg: info };
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0 || this.at + size > this.bytes.length) return undefined;
    let arg = 0;
    for (let i = 0; i < size; i++) arg = arg * 256 + (this.bytes[this.at + i] as number);
    this.at += size;
    return { major, arg };
  }

  text(length: number): string | undefined {
    if (this.at + length > this.bytes.length) return undefined;
    const out = new TextDecoder('utf-8', { fatal: false }).decode(
      this.bytes.subarray(this.at, this.at + length),
    );
    this.at += length;
    return out;
  }

  /** Skips one whole item; false when the bytes end first or nest too deep. */
  skip(depth: number): boolean {
    if (depth > MAX_DEPTH) return false;
    const head = this.head();
    if (!head) return false;
    switch (head.major) {
      case 0:
      case 1:
      case 7:
        return true;
      case 2:
      case 3:
        if (this.at + head.arg > this.bytes.length) return false;
        this.at += head.arg;
        return true;
      case 4:
        for (let i = 0; i < head.arg; i++) if (!this.skip(depth + 1)) return false;
        return true;
      case 5:
        for (let i = 0; i < head.arg * 2; i++) if (!this.skip(depth + 1)) return false;
        return true;
      default:
        return false; // tags: the codec accepts none
    }
  }
}
