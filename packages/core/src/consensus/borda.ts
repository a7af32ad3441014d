/**
 * Borda count (docs/CONSENSUS.md "Borda"): with n options, the option ranked at position i
 * (0-based) gets n-1-i points; unranked options get 0 points. Ties by the tally's tie order.
 */
import type { RankingGroup } from './rankings.ts';
import { pickBest } from './tie-order.ts';

export function bordaCount(
  options: readonly string[],
  tieOrder: readonly string[],
  rankings: readonly RankingGroup[],
): { scores: Record<string, number>; winner: string | null } {
  const n = options.length;
  const points = new Map(options.map((o) => [o, 0]));
  let anyRanked = false;
  for (const { ranking, count } of rankings) {
    ranking.forEach((o, i) => {
      anyRanked = true;
      points.set(o, points.get(o)! + (n - 1 - i) * count);
    });
  }
  const scores: Record<string, number> = {};
  for (const o of options) scores[o] = points.get(o)!;
  return { scores, winner: anyRanked ? pickBest(tieOrder, (o) => points.get(o)!) : null };
}
