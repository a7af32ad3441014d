/**
 * The one tie-break of every counting rule (docs/CONSENSUS.md "Ties"): a total order of the
 * options, fixed before any ballot is counted, so ties never depend on ballot order.
 * Without a seed: lexicographic by id (UTF-16 code units). With a seed (e.g. the conversation
 * id): ascending SHA-256(frame(label, frame(seed, option))), which no voter can steer after
 * the genesis fixed the seed and the options.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8 } from '../crypto/bytes.ts';
import { frameWithLabel, HASH } from '../labels.ts';

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function tieOrder(options: readonly string[], seed?: string | null): string[] {
  const sorted = [...options].sort(compareIds);
  if (seed === undefined || seed === null) return sorted;
  const keyed = sorted.map((o) => {
    // Both frames are length-prefixed, so no (seed, option) pair collides with another.
    const msg = frameWithLabel(HASH.CONSENSUS_TIE_BREAK, frameWithLabel(seed, utf8.encode(o)));
    return { o, k: toHex(sha256(msg)) };
  });
  keyed.sort((x, y) => compareIds(x.k, y.k) || compareIds(x.o, y.o));
  return keyed.map((x) => x.o);
}

/**
 * The best option by `score` (higher is better), ties broken by `order`; null if no option
 * scores above `floor`.
 */
export function pickBest(
  order: readonly string[],
  score: (o: string) => number,
  floor = Number.NEGATIVE_INFINITY,
): string | null {
  let best: string | null = null;
  let bestScore = floor;
  for (const o of order) {
    const s = score(o);
    if (s > bestScore) {
      best = o;
      bestScore = s;
    }
  }
  return best;
}
