import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKithError } from '../src/errors.ts';
import { _internal, deviceIdFromSigningKey, parseId, userIdFromRootKey } from '../src/ids.ts';

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('ids', () => {
  it('are five groups of five from the Crockford alphabet and parse back to themselves', () => {
    fc.assert(
      fc.property(key, (k) => {
        const id = userIdFromRootKey(k);
        expect(id).toMatch(/^[0-9a-hjkmnp-tv-z]{5}(-[0-9a-hjkmnp-tv-z]{5}){4}$/);
        expect(parseId(id)).toBe(id);
        expect(parseId(id.toUpperCase().replace(/-/g, ' '))).toBe(id);
      }),
    );
  });

  it('user and device ids of the same key differ (domain separation)', () => {
    fc.assert(
      fc.property(key, (k) => {
        expect(userIdFromRootKey(k)).not.toBe(deviceIdFromSigningKey(k));
      }),
    );
  });

  it('catch every single-character typo', () => {
    fc.assert(
      fc.property(key, fc.nat(24), fc.nat(31), (k, pos, sym) => {
        const raw = userIdFromRootKey(k).replace(/-/g, '');
        const replacement = _internal.ALPHABET[sym]!;
        fc.pre(raw[pos] !== replacement);
        const typo = raw.slice(0, pos) + replacement + raw.slice(pos + 1);
        expect(() => parseId(typo)).toThrow(/check character/);
      }),
      { numRuns: 2000 },
    );
  });

  it('catch every swap of two different neighbouring characters', () => {
    fc.assert(
      fc.property(key, fc.nat(23), (k, pos) => {
        const raw = userIdFromRootKey(k).replace(/-/g, '');
        fc.pre(raw[pos] !== raw[pos + 1]);
        const swapped = raw.slice(0, pos) + raw[pos + 1] + raw[pos] + raw.slice(pos + 2);
        expect(() => parseId(swapped)).toThrow(/check character/);
      }),
      { numRuns: 2000 },
    );
  });

  it('read I, L as 1 and O as 0', () => {
    const id = userIdFromRootKey(new Uint8Array(32).fill(3));
    const confusable = id.replace(/1/g, 'L').replace(/0/g, 'O');
    expect(parseId(confusable)).toBe(id);
  });

  it('refuse the wrong length with a clear code', () => {
    try {
      parseId('abc');
      throw new Error('accepted');
    } catch (e) {
      expect(isKithError(e, 'ID_INVALID')).toBe(true);
    }
  });
});
