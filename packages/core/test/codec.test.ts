import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CanonicalValue, decodeCanonical, encodeCanonical } from '../src/codec.ts';
import { isKithError } from '../src/errors.ts';
import { codeOf } from './helpers/code-of.ts';

const canonicalValue: fc.Arbitrary<CanonicalValue> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.string(),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 5, noNullPrototype: true }),
  ),
})).value as fc.Arbitrary<CanonicalValue>;

describe('canonical codec', () => {
  it('round-trips every allowed value', () => {
    fc.assert(
      fc.property(canonicalValue, (value) => {
        const bytes = encodeCanonical(value);
        expect(decodeCanonical(bytes)).toStrictEqual(value);
        expect(encodeCanonical(decodeCanonical(bytes))).toStrictEqual(bytes);
      }),
    );
  });

  it('is deterministic whatever the key insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer(), { noNullPrototype: true }), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(encodeCanonical(reversed)).toStrictEqual(encodeCanonical(obj));
      }),
    );
  });

  it('never accepts mutated bytes that decode to something else non-canonically', () => {
    fc.assert(
      fc.property(canonicalValue, fc.nat(), fc.integer({ min: 1, max: 255 }), (value, at, xor) => {
        const bytes = encodeCanonical(value);
        const mutated = bytes.slice();
        const i = at % mutated.length;
        mutated[i] = mutated[i]! ^ xor;
        let decoded: CanonicalValue;
        try {
          decoded = decodeCanonical(mutated);
        } catch (e) {
          expect(isKithError(e)).toBe(true);
          return;
        }
        // A mutation may land on another valid canonical document; it must then be a different value
        // whose encoding is exactly the mutated bytes.
        expect(encodeCanonical(decoded)).toStrictEqual(mutated);
        expect(decoded).not.toStrictEqual(value);
      }),
    );
  });

  it('rejects non-canonical forms', () => {
    // {"b":1,"a":2} with keys out of bytewise order
    expect(codeOf(() => decodeCanonical(Uint8Array.from([0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02])))).toBe(
      'CODEC_NON_CANONICAL',
    );
    // 1 encoded in two bytes (non-minimal)
    expect(codeOf(() => decodeCanonical(Uint8Array.from([0x18, 0x01])))).toBe('CODEC_MALFORMED');
    // indefinite-length array
    expect(codeOf(() => decodeCanonical(Uint8Array.from([0x9f, 0x01, 0xff])))).toBe('CODEC_MALFORMED');
    // duplicate keys
    expect(codeOf(() => decodeCanonical(Uint8Array.from([0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02])))).toBe(
      'CODEC_MALFORMED',
    );
    // floats: 1.5 has no integer form; 1.0 re-encodes as the integer 1, so its float form is not canonical
    expect(codeOf(() => decodeCanonical(Uint8Array.from([0xf9, 0x3e, 0x00])))).toBe('CODEC_SCHEMA');
    expect(codeOf(() => decodeCanonical(Uint8Array.from([0xf9, 0x3c, 0x00])))).toBe('CODEC_NON_CANONICAL');
    // trailing bytes
    expect(codeOf(() => decodeCanonical(Uint8Array.from([0x01, 0x01])))).toBe('CODEC_MALFORMED');
    // a tag
    expect(codeOf(() => decodeCanonical(Uint8Array.from([0xc1, 0x01])))).toBe('CODEC_MALFORMED');
  });

  it('rejects oversize input before parsing it', () => {
    expect(codeOf(() => decodeCanonical(new Uint8Array(11), 10))).toBe('CODEC_OVERSIZE');
  });

  it('refuses to encode values with no canonical form', () => {
    expect(codeOf(() => encodeCanonical(1.5))).toBe('CODEC_SCHEMA');
    expect(codeOf(() => encodeCanonical({ a: undefined } as unknown as CanonicalValue))).toBe('CODEC_SCHEMA');
    expect(codeOf(() => encodeCanonical(new Date(0) as unknown as CanonicalValue))).toBe('CODEC_SCHEMA');
  });
});
