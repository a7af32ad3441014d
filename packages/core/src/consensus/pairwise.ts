/**
 * Pairwise preference matrix and Condorcet winner (docs/CONSENSUS.md "Ranked ballots").
 * A voter prefers a to b when a is ranked above b, or a is ranked and b is not; two unranked
 * options are tied for that voter.
 */
import type { RankingGroup } from './rankings.ts';

export type Matrix = Map<string, Map<string, number>>;

export function pairwiseMatrix(options: readonly string[], rankings: readonly RankingGroup[]): Matrix {
  const d: Matrix = new Map(
    options.map((a) => [a, new Map(options.filter((b) => b !== a).map((b) => [b, 0]))]),
  );
  for (const { ranking, count } of rankings) {
    const ranked = new Set(ranking);
    const unranked = options.filter((o) => !ranked.has(o));
    for (let i = 0; i < ranking.length; i++) {
      const row = d.get(ranking[i]!)!;
      for (let j = i + 1; j < ranking.length; j++) row.set(ranking[j]!, row.get(ranking[j]!)! + count);
      for (const u of unranked) row.set(u, row.get(u)! + count);
    }
  }
  return d;
}

export function at(m: Matrix, a: string, b: string): number {
  return m.get(a)?.get(b) ?? 0;
}

/** The option that beats every other head to head, or null. */
export function condorcetWinner(options: readonly string[], d: Matrix): string | null {
  for (const a of options) {
    if (options.every((b) => b === a || at(d, a, b) > at(d, b, a))) return a;
  }
  return null;
}

export function matrixToRecord(
  options: readonly string[],
  m: Matrix,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const a of options) {
    const row: Record<string, number> = {};
    for (const b of options) if (b !== a) row[b] = at(m, a, b);
    out[a] = row;
  }
  return out;
}
