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

/** Throws PHRASE_INVALID with a sentence that says what is wrong (never echoes the phrase). */
export function checkPhrase(text: string): string {
  const phrase = normalisePhrase(text);
  const words = phrase === '' ? [] : phrase.split(' ');
  if (words.length !== PHRASE_WORDS) {
    throw new KithError('PHRASE_INVALID', `It has ${words.length} words.`);
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
