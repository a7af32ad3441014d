/**
 * Short codes people can say aloud (docs/PROTOCOL.md §9a, docs/SECURITY.md "Short codes"):
 *
 *   code = nameplate "-" word "-" word "-" word        e.g. 7-guitar-ocean-velvet
 *
 * The nameplate (1..999) is no secret: it only says which open invite on the network is meant,
 * and travels in clear. The three words come from the BIP39 English list (2048 words, each unique
 * in its first four letters), 11 bits each: 33 bits of secret. That is far too little for a key,
 * and it is never used as one: it is the password of a CPace run (cpace.ts), which gives an
 * active attacker one guess per run, and a wrong guess ends the invite. So an attacker's chance
 * is 2^-33 per invite someone opens, and nothing seen on the network tests a guess offline.
 *
 * The LAN announcement carries `lanIdentifier(nameplate, window)`: a keyed hash of the nameplate
 * and the current 5-minute window, so it names no person, device or key and changes every
 * window. It is deliberately not keyed by the words: whatever is broadcast must not let anyone
 * test a guess offline.
 */
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend, utf8 } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
import { KDF } from '../labels.ts';

export const SHORT_CODE_WORDS = 3;
export const MAX_NAMEPLATE = 999;
/** How long one LAN identifier lasts. */
export const LAN_WINDOW_MS = 5 * 60_000;

export interface ShortCode {
  nameplate: number;
  words: string[];
}

const exact = new Set(wordlist);
const byPrefix = new Map(wordlist.map((w) => [w.slice(0, 4), w]));

/** A fresh short code; `taken` lists the nameplates of this node's other open short codes. */
export function makeShortCode(random: (n: number) => Uint8Array, taken: ReadonlySet<number>): ShortCode {
  if (taken.size >= MAX_NAMEPLATE)
    throw new KithError('INVALID_INPUT', 'Too many short codes are open; cancel some first.');
  let nameplate = 0;
  while (nameplate === 0 || taken.has(nameplate)) nameplate = (uniform(random, MAX_NAMEPLATE) ?? 0) + 1;
  const words: string[] = [];
  while (words.length < SHORT_CODE_WORDS) words.push(wordlist[uniform(random, wordlist.length)!]!);
  return { nameplate, words };
}

/** Uniform integer in [0, n) by rejection sampling 16-bit draws. */
function uniform(random: (k: number) => Uint8Array, n: number): number {
  const limit = 65536 - (65536 % n);
  for (;;) {
    const b = random(2);
    const v = (b[0]! << 8) | b[1]!;
    if (v < limit) return v % n;
  }
}

export function formatShortCode(code: ShortCode): string {
  return [String(code.nameplate), ...code.words].join('-');
}

/** Whether `text` looks like a short code (a number, then words) rather than a KITH1 code. */
export function looksLikeShortCode(text: string): boolean {
  return /^\s*\d{1,4}[\s-]+[a-z]/i.test(text);
}

/**
 * Reads a typed short code: case, spaces or dashes between parts, and any word given by its first
 * four letters (or more) are all accepted.
 */
export function parseShortCode(text: string): ShortCode {
  const parts = text
    .trim()
    .toLowerCase()
    .split(/[\s-]+/)
    .filter((p) => p.length > 0);
  const [first, ...rest] = parts;
  if (!first || !/^\d{1,4}$/.test(first))
    throw new KithError('INVITE_INVALID', 'A short code starts with its number, e.g. 7-guitar-ocean-velvet.');
  const nameplate = Number(first);
  if (nameplate < 1 || nameplate > MAX_NAMEPLATE)
    throw new KithError('INVITE_INVALID', `The number of a short code is between 1 and ${MAX_NAMEPLATE}.`);
  if (rest.length < SHORT_CODE_WORDS)
    throw new KithError(
      'INVITE_INCOMPLETE',
      `A short code has a number and ${SHORT_CODE_WORDS} words; this one has ${rest.length}.`,
    );
  if (rest.length > SHORT_CODE_WORDS)
    throw new KithError(
      'INVITE_INVALID',
      `A short code has a number and ${SHORT_CODE_WORDS} words; this one has ${rest.length}.`,
    );
  const words = rest.map((w) => {
    const full = exact.has(w) ? w : w.length >= 4 ? byPrefix.get(w.slice(0, 4)) : undefined;
    if (!full?.startsWith(w))
      throw new KithError(
        'INVITE_INVALID',
        `“${w.slice(0, 20)}” is not one of the code’s words: check its spelling.`,
      );
    return full;
  });
  return { nameplate, words };
}

/** The CPace password: the words, one space between them. */
export function shortCodePassword(code: ShortCode): Uint8Array {
  return utf8.encode(code.words.join(' '));
}

/** The 5-minute window `nowMs` falls in. */
export function lanWindow(nowMs: number): number {
  return Math.floor(nowMs / LAN_WINDOW_MS);
}

/** The DNS-SD instance label announcing nameplate `nameplate` during `window`: 20 base32 characters. */
export function lanIdentifier(
  nameplate: number,
  window: number,
  backend: CryptoBackend = defaultBackend(),
): string {
  const info = utf8.encode(`${nameplate}/${window}`);
  const bytes = backend.hkdfSha256(utf8.encode(KDF.LAN_NAMEPLATE), new Uint8Array(0), info, 13);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < 20) {
      out += alphabet[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}
