/** Ranking ballots grouped by identical ranking, in a canonical order (most common first). */
import { compareIds } from './tie-order.ts';

export interface RankingGroup {
  ranking: string[];
  count: number;
}

function compareRankings(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareIds(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

export function groupRankings(rankings: readonly (readonly string[])[]): RankingGroup[] {
  const groups = new Map<string, RankingGroup>();
  for (const r of rankings) {
    const key = JSON.stringify(r);
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { ranking: [...r], count: 1 });
  }
  return [...groups.values()].sort((x, y) => y.count - x.count || compareRankings(x.ranking, y.ranking));
}
