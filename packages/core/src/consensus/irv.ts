/**
 * Instant-runoff voting (docs/CONSENSUS.md "IRV"): each round counts every ballot for its
 * highest-ranked continuing option; an option with more than half of the non-exhausted ballots
 * wins; otherwise the option with the fewest votes is eliminated (ties: the one latest in the
 * tie order). A ballot whose ranked options are all eliminated is exhausted.
 */
import type { RankingGroup } from './rankings.ts';
import type { IrvRound } from './types.ts';

export function instantRunoff(
  options: readonly string[],
  tieOrder: readonly string[],
  rankings: readonly RankingGroup[],
): { rounds: IrvRound[]; winner: string | null } {
  const continuing = new Set(options);
  const rounds: IrvRound[] = [];
  while (continuing.size > 0) {
    const counts = new Map<string, number>([...continuing].map((o) => [o, 0]));
    let exhausted = 0;
    for (const { ranking, count } of rankings) {
      const first = ranking.find((o) => continuing.has(o));
      if (first === undefined) exhausted += count;
      else counts.set(first, counts.get(first)! + count);
    }
    const countsRecord: Record<string, number> = {};
    for (const o of options) if (continuing.has(o)) countsRecord[o] = counts.get(o)!;
    const active = [...counts.values()].reduce((s, c) => s + c, 0);
    if (active === 0) {
      rounds.push({ counts: countsRecord, exhausted, eliminated: null });
      return { rounds, winner: null };
    }
    const majority = [...continuing].find((o) => counts.get(o)! * 2 > active);
    if (majority !== undefined || continuing.size === 1) {
      rounds.push({ counts: countsRecord, exhausted, eliminated: null });
      return { rounds, winner: majority ?? [...continuing][0]! };
    }
    let loser: string | null = null;
    for (const o of tieOrder) {
      if (!continuing.has(o)) continue;
      // `<=` so that among equal lowest counts the one latest in the tie order is eliminated.
      if (loser === null || counts.get(o)! <= counts.get(loser)!) loser = o;
    }
    rounds.push({ counts: countsRecord, exhausted, eliminated: loser });
    continuing.delete(loser!);
  }
  return { rounds, winner: null };
}
