import { readFileSync } from 'node:fs';
import type { CryptoBackend } from '../../src/crypto/backend.ts';
import { fromHex } from '../../src/crypto/bytes.ts';
import { nativeBackend } from '../../src/crypto/native.ts';
import { nobleBackend } from '../../src/crypto/noble.ts';

/** Both backends: every vector runs on each, and they must agree byte for byte. */
export const BACKENDS: CryptoBackend[] = [nobleBackend, nativeBackend];

/** A vector file copied into packages/core/test/vectors (see its README for sources). */
export function loadVectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8')) as T;
}

export function vectorFileBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../vectors/${name}`, import.meta.url)));
}

export const hex = fromHex;

/** Wycheproof files share this outer shape (schema *_v1.json). */
export interface WycheproofFile<G> {
  algorithm: string;
  numberOfTests: number;
  testGroups: G[];
}

export type WycheproofResult = 'valid' | 'invalid' | 'acceptable';

export interface WycheproofCase {
  tcId: number;
  comment: string;
  flags: string[];
  result: WycheproofResult;
}

/** Every case of a Wycheproof file, each with its group, counted against numberOfTests. */
export function wycheproofCases<G extends { tests: WycheproofCase[] }>(
  file: WycheproofFile<G>,
): { group: G; test: G['tests'][number] }[] {
  const all = file.testGroups.flatMap((group) => group.tests.map((test) => ({ group, test })));
  if (all.length !== file.numberOfTests) {
    throw new Error(`${file.algorithm}: ${all.length} cases found, file says ${file.numberOfTests}`);
  }
  return all;
}

/** Flip one bit of a copy. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const index = Math.floor(bit / 8) % out.length;
  out[index] = out[index]! ^ (1 << (bit % 8));
  return out;
}
