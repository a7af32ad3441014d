/**
 * The seed phrase (docs/DESIGN.md §4): 24 BIP39 English words (256 bits of entropy) and an optional
 * BIP39 passphrase. Wraps @scure/bip39; the PBKDF2 step runs on the injected backend so the
 * native fast path is used under Node (byte-identical, checked against the BIP39 vectors).
 */
import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { CryptoBackend, RandomSource } from '../crypto/backend.ts';
import { defaultBackend, utf8 } from '../crypto/index.ts';
import { KithError } from '../errors.ts';

export const PHRASE_WORDS = 24;

/** Trims, lower-cases and collapses whitespace, so a phrase typed across lines still reads. */
export function normalisePhrase(text: string): string {
  return text.normalize('NFKD').trim().toLowerCase().split(/\s+/).join(' ');
}

export function generatePhrase(random: RandomSource): string {
  return entropyToMnemonic(random(32), wordlist);
}

/** Accepts any valid BIP39 English mnemonic (12–24 words); Kith phrases use `checkPhrase`. */
export function isValidMnemonic(text: string): boolean {
  return validateMnemonic(normalisePhrase(text), wordlist);
}

const NUMBERED = /(?:^|\s)(\d{1,2})\s*[.):]?\s*([^\s\d.):]+)/gu;

/**
 * The phrase as `kith init` shows it, a grid numbered 1 to 24 in three columns, copied row by row
 * ("1. abandon  9. ability  17. able …"): the words put back in the order of their numbers.
 * Undefined when the text has no numbers; PHRASE_INVALID when the numbers are not 1 to 24 once each.
 */
export function fromNumberedGrid(text: string): string | undefined {
  const normal = normalisePhrase(text);
  if (!/\d/.test(normal)) return undefined;
  const pairs = [...normal.matchAll(NUMBERED)].map((m) => [Number(m[1]), m[2]!] as const);
  const rest = normal.replace(NUMBERED, ' ').trim();
  const numbers = new Set(pairs.map(([n]) => n));
  const complete =
    rest === '' &&
    pairs.length === PHRASE_WORDS &&
    numbers.size === PHRASE_WORDS &&
    [...numbers].every((n) => n >= 1 && n <= PHRASE_WORDS);
  if (!complete)
    throw new KithError(
      'PHRASE_INVALID',
      'It has numbers in it, as in the numbered grid, but not each of 1 to 24 once before a word: give the 24 words in order, with or without their numbers.',
    );
  return [...pairs]
    .sort((a, b) => a[0] - b[0])
    .map(([, w]) => w)
    .join(' ');
}

/**
 * Throws PHRASE_INVALID with a sentence that says what is wrong (never echoes the phrase).
 * Accepts the numbered grid too (fromNumberedGrid).
 */
export function checkPhrase(text: string): string {
  const phrase = fromNumberedGrid(text) ?? normalisePhrase(text);
  const words = phrase === '' ? [] : phrase.split(' ');
  if (words.length !== PHRASE_WORDS) {
    throw new KithError(
      'PHRASE_INVALID',
      `It has ${words.length} words; a Kith phrase has ${PHRASE_WORDS}, separated by spaces or new lines.`,
    );
  }
  const unknown = words.map((w, i) => (wordlist.includes(w) ? -1 : i + 1)).filter((i) => i > 0);
  if (unknown.length > 0) {
    throw new KithError('PHRASE_INVALID', `Word number ${unknown.join(', ')} is not in the word list.`);
  }
  try {
    mnemonicToEntropy(phrase, wordlist);
  } catch {
    throw new KithError('PHRASE_INVALID', 'The checksum does not match: a word is wrong or out of order.');
  }
  return phrase;
}

/** BIP39 seed: PBKDF2-HMAC-SHA512(phrase, "mnemonic" || passphrase, 2048 iterations, 64 bytes). */
export function phraseToSeed(
  phrase: string,
  passphrase = '',
  backend: CryptoBackend = defaultBackend(),
): Uint8Array {
  return backend.pbkdf2Sha512(
    utf8.encode(normalisePhrase(phrase)),
    utf8.encode(`mnemonic${passphrase.normalize('NFKD')}`),
    2048,
    64,
  );
}
