/**
 * Where the CBOR item at the start of some bytes ends, read from its length headers alone (no
 * values are decoded). A well-formed item is self-delimiting, so a proper prefix of one is never
 * a whole item: a walk over a cut-off copy always runs out of bytes. That makes this the exact
 * test for "cut off" (the invite code uses it), where a decoder's error text is not.
 *
 * Only definite lengths (the canonical codec never writes indefinite ones); reserved header
 * values and indefinite lengths read as malformed.
 */

/** The item needs more bytes than there are. */
export const RUNS_PAST_END = 'runs-past-end';
/** A header no canonical item has. */
export const MALFORMED = 'malformed';

/** The offset just past the first item, or why there is none. */
export function cborItemEnd(bytes: Uint8Array): number | typeof RUNS_PAST_END | typeof MALFORMED {
  let pos = 0;
  // Items still to read: 1 for the top, plus every element an array, map or tag announces.
  let pending = 1;
  while (pending > 0) {
    if (pos >= bytes.length) return RUNS_PAST_END;
    const initial = bytes[pos++]!;
    const major = initial >> 5;
    const info = initial & 31;
    let arg = info;
    if (info >= 28) return MALFORMED;
    if (info >= 24) {
      const n = 1 << (info - 24);
      if (pos + n > bytes.length) return RUNS_PAST_END;
      arg = 0;
      // Past 2^53 the value is inexact, but any such length runs past the end either way.
      for (let i = 0; i < n; i++) arg = arg * 256 + bytes[pos + i]!;
      pos += n;
    }
    pending -= 1;
    if (major === 2 || major === 3) {
      // Byte or text string: `arg` bytes of content.
      if (arg > bytes.length - pos) return RUNS_PAST_END;
      pos += arg;
    } else if (major === 4) pending += arg;
    else if (major === 5) pending += 2 * arg;
    else if (major === 6) pending += 1;
    // Majors 0, 1 and 7: the header (with its argument) is the whole item.
  }
  return pos;
}
