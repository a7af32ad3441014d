import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MALFORMED, RUNS_PAST_END, cborItemEnd } from '../src/cbor-extent.ts';
import { type CanonicalValue, encodeCanonical } from '../src/codec.ts';

const value: fc.Arbitrary<CanonicalValue> = fc.letrec<{ v: CanonicalValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.string(),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 4 }),
  ),
})).v;

describe('CBOR item extent', () => {
  it('finds the end of a whole item, also with bytes after it', () => {
    fc.assert(
      fc.property(value, fc.uint8Array({ maxLength: 8 }), (v, after) => {
        const bytes = encodeCanonical(v);
        expect(cborItemEnd(bytes)).toBe(bytes.length);
        expect(cborItemEnd(Uint8Array.from([...bytes, ...after]))).toBe(bytes.length);
      }),
    );
  });

  it('says every proper prefix runs past its end', () => {
    fc.assert(
      fc.property(value, fc.nat(), (v, n) => {
        const bytes = encodeCanonical(v);
        expect(cborItemEnd(bytes.subarray(0, n % bytes.length))).toBe(RUNS_PAST_END);
      }),
    );
  });

  it('follows nesting and every header width (pinned)', () => {
    // { "a": [1, h'00ff'], "b": 2^32 } is 19 bytes; the 20th is not part of it.
    const bytes = Uint8Array.from([
      0xa2, 0x61, 0x61, 0x82, 0x01, 0x42, 0x00, 0xff, 0x61, 0x62, 0x1b, 0, 0, 0, 1, 0, 0, 0, 0, 0x00,
    ]);
    expect(cborItemEnd(bytes)).toBe(19);
    // A map cut exactly between two entries (the case a decoder's error text hid, issue #14).
    expect(cborItemEnd(bytes.subarray(0, 8))).toBe(RUNS_PAST_END);
    // A text string whose length says more than is left.
    expect(cborItemEnd(Uint8Array.from([0x78, 0x1d, 0x61]))).toBe(RUNS_PAST_END);
    // A 2^64-element array cannot fit: it runs out, it does not loop.
    expect(cborItemEnd(Uint8Array.from([0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0]))).toBe(
      RUNS_PAST_END,
    );
  });

  it('calls reserved headers and indefinite lengths malformed', () => {
    expect(cborItemEnd(Uint8Array.from([0x1c]))).toBe(MALFORMED);
    expect(cborItemEnd(Uint8Array.from([0x9f, 0x01, 0xff]))).toBe(MALFORMED);
    expect(cborItemEnd(Uint8Array.from([0x81, 0xff]))).toBe(MALFORMED);
  });
});
