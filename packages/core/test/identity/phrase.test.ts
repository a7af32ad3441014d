import { describe, expect, it } from 'vitest';
import { nobleBackend } from '../../src/crypto/index.ts';
import { toHex } from '../../src/crypto/bytes.ts';
import { isKithError } from '../../src/errors.ts';
import {
  checkPhrase,
  fromNumberedGrid,
  generatePhrase,
  isValidMnemonic,
  phraseToSeed,
} from '../../src/identity/phrase.ts';
import vectors from '../vectors/bip39-trezor-vectors.json' with { type: 'json' };
import { backends } from '../helpers/backends.ts';
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { fromHex } from '../../src/crypto/bytes.ts';

describe.each(backends())('BIP39 on $name', (backend) => {
  it.each(vectors.english)('vector %s', (entropy, mnemonic, seed) => {
    expect(entropyToMnemonic(fromHex(entropy!), wordlist)).toBe(mnemonic);
    expect(isValidMnemonic(mnemonic!)).toBe(true);
    expect(toHex(phraseToSeed(mnemonic!, 'TREZOR', backend))).toBe(seed);
  });
});

describe('Kith phrase rules', () => {
  const fixed = (n: number) => () => new Uint8Array(n).fill(7);
  const phrase = generatePhrase(fixed(32));

  it('generates 24 words that pass the check', () => {
    expect(phrase.split(' ')).toHaveLength(24);
    expect(checkPhrase(`  ${phrase.toUpperCase().replace(/ /g, '\n ')} `)).toBe(phrase);
  });

  const refuse = (text: string, fragment: RegExp) => {
    try {
      checkPhrase(text);
    } catch (e) {
      expect(isKithError(e, 'PHRASE_INVALID')).toBe(true);
      expect((e as Error).message).toMatch(fragment);
      expect((e as Error).message).not.toContain(phrase.split(' ')[3]);
      return;
    }
    throw new Error('phrase was accepted');
  };

  it('refuses a 12-word phrase even when BIP39-valid', () => {
    const twelve = vectors.english[0]![1]!;
    expect(isValidMnemonic(twelve)).toBe(true);
    refuse(twelve, /12 words/);
  });
  it('refuses an unknown word and names its position', () => {
    const words = phrase.split(' ');
    words[4] = 'kithx';
    refuse(words.join(' '), /Word number 5/);
  });
  it('refuses a swapped pair (checksum)', () => {
    const words = phrase.split(' ');
    const other = words[0] === 'zoo' ? 'abandon' : 'zoo';
    words[23] = other;
    refuse(words.join(' '), /checksum/);
  });
  it('noble and native give the same seed with a passphrase', () => {
    expect(toHex(phraseToSeed(phrase, 'pässword', nobleBackend))).toBe(
      toHex(phraseToSeed(phrase, 'pässword')),
    );
  });
});

describe('a phrase pasted from the numbered grid (issue #14)', () => {
  const phrase = generatePhrase(() => new Uint8Array(32).fill(7));
  const words = phrase.split(' ');
  /** The grid as `kith init` shows it: three columns, numbered down each column. */
  const grid = Array.from({ length: 8 }, (_, r) =>
    [r, r + 8, r + 16].map((i) => `${String(i + 1).padStart(2)}. ${words[i]}`.padEnd(16)).join(''),
  ).join('\n');

  it('copied row by row, it reads as the phrase in the order of its numbers', () => {
    expect(checkPhrase(grid)).toBe(phrase);
    expect(checkPhrase(words.map((w, i) => `${i + 1}) ${w}`).join('\n'))).toBe(phrase);
    expect(fromNumberedGrid(phrase)).toBeUndefined();
  });

  it('with a number missing or twice it says so instead of counting 48 words', () => {
    const broken = grid.replace(' 9. ', ' 8. ');
    try {
      checkPhrase(broken);
      expect.unreachable();
    } catch (e) {
      expect(isKithError(e, 'PHRASE_INVALID')).toBe(true);
      expect((e as Error).message).toContain('numbered grid');
      expect((e as Error).message).not.toContain('48');
    }
  });

  it('a wrong word count names the count wanted', () => {
    expect(() => checkPhrase(words.slice(0, 23).join(' '))).toThrow(/23 words; a Kith phrase has 24/);
  });
});
