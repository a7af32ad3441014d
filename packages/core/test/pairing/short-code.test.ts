import { randomBytes } from 'node:crypto';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatShortCode,
  lanIdentifier,
  lanWindow,
  looksLikeShortCode,
  makeShortCode,
  parseShortCode,
  type ShortCode,
} from '../../src/pairing/short-code.ts';
import {
  acceptorFinish,
  acceptorStart,
  inviterReply,
  openLongCode,
  sealLongCode,
} from '../../src/pairing/short-code-pake.ts';
import { codeOf as code } from '../helpers/code-of.ts';

const shortCode: fc.Arbitrary<ShortCode> = fc.record({
  nameplate: fc.integer({ min: 1, max: 999 }),
  words: fc.array(fc.constantFrom(...wordlist), { minLength: 3, maxLength: 3 }),
});
const random = (n: number) => new Uint8Array(randomBytes(n));

describe('short code', () => {
  it('round-trips, forgiving case, spaces and four-letter prefixes (property)', () => {
    fc.assert(
      fc.property(shortCode, (c) => {
        const text = formatShortCode(c);
        expect(text).toMatch(/^\d{1,3}(-[a-z]+){3}$/);
        expect(looksLikeShortCode(text)).toBe(true);
        expect(parseShortCode(text)).toEqual(c);
        expect(parseShortCode(`  ${text.toUpperCase().replace(/-/g, ' ')} `)).toEqual(c);
        const prefixes = [String(c.nameplate), ...c.words.map((w) => w.slice(0, 4))].join('-');
        expect(parseShortCode(prefixes)).toEqual(c);
      }),
      { numRuns: 200 },
    );
  });

  it('makes codes with a free number and list words', () => {
    const taken = new Set([1, 2, 3]);
    for (let i = 0; i < 200; i++) {
      const c = makeShortCode(random, taken);
      expect(taken.has(c.nameplate)).toBe(false);
      expect(c.nameplate).toBeGreaterThanOrEqual(1);
      expect(c.nameplate).toBeLessThanOrEqual(999);
      expect(c.words).toHaveLength(3);
      for (const w of c.words) expect(wordlist).toContain(w);
    }
  });

  it('refuses with clear codes: too few words, a word not in the list, no number', () => {
    expect(code(() => parseShortCode('7-guitar-ocean'))).toBe('INVITE_INCOMPLETE');
    expect(code(() => parseShortCode('7-guitar-ocean-velvet-extra'))).toBe('INVITE_INVALID');
    expect(code(() => parseShortCode('7-guitr-ocean-velvet'))).toBe('INVITE_INVALID');
    expect(code(() => parseShortCode('guitar-ocean-velvet'))).toBe('INVITE_INVALID');
    expect(code(() => parseShortCode('0-guitar-ocean-velvet'))).toBe('INVITE_INVALID');
    expect(looksLikeShortCode('KITH1-AAAAA')).toBe(false);
  });

  it('announces an identifier that depends on the number and window only, and rotates', () => {
    const w = lanWindow(Date.UTC(2026, 0, 1));
    expect(lanIdentifier(7, w)).toMatch(/^[a-z2-7]{20}$/);
    expect(lanIdentifier(7, w)).toBe(lanIdentifier(7, w));
    expect(lanIdentifier(7, w + 1)).not.toBe(lanIdentifier(7, w));
    expect(lanIdentifier(8, w)).not.toBe(lanIdentifier(7, w));
  });
});

describe('short-code run (CPace, key confirmation, sealed long code)', () => {
  it('hands over the long code when both sides hold the same words (property)', () => {
    fc.assert(
      fc.property(shortCode, fc.string({ minLength: 1, maxLength: 400 }), (c, long) => {
        const start = acceptorStart(c, random);
        const { reply, keys } = inviterReply(c, start.hello, random);
        const mine = acceptorFinish(c, start, reply);
        expect(mine.confirmA).toEqual(keys.confirmA);
        expect(openLongCode(mine, sealLongCode(keys, long))).toBe(long);
      }),
      { numRuns: 20 },
    );
  });

  it('a wrong word fails on the acceptor with SHORT_CODE_WRONG, before anything is sealed', () => {
    fc.assert(
      fc.property(shortCode, fc.nat(2), fc.constantFrom(...wordlist), (c, at, other) => {
        fc.pre(c.words[at] !== other);
        const guess = { ...c, words: c.words.map((w, i) => (i === at ? other : w)) };
        const start = acceptorStart(guess, random);
        const { reply } = inviterReply(c, start.hello, random);
        expect(code(() => acceptorFinish(guess, start, reply))).toBe('SHORT_CODE_WRONG');
      }),
      { numRuns: 20 },
    );
  });
});
