/**
 * Schulze method (Schulze 2011, "A new monotonic, clone-independent, reversal symmetric, and
 * Condorcet-consistent single-winner election method"), winning-votes strength: the strongest
 * path from a to b is the widest path through links d[x][y] where d[x][y] > d[y][x].
 * Ties among potential winners are broken by the tally's tie order (docs/CONSENSUS.md).
 */
import { at, type Matrix } from './pairwise.ts';

export function strongestPaths(options: readonly string[], d: Matrix): Matrix {
  const p: Matrix = new Map();
  for (const a of options) {
    const row = new Map<string, number>();
    for (const b of options) {
      if (b === a) continue;
      const ab = at(d, a, b);
      row.set(b, ab > at(d, b, a) ? ab : 0);
    }
    p.set(a, row);
  }
  for (const i of options) {
    for (const j of options) {
      if (j === i) continue;
      const ji = at(p, j, i);
      if (ji === 0) continue;
      const rowJ = p.get(j)!;
      for (const k of options) {
        if (k === i || k === j) continue;
        const via = Math.min(ji, at(p, i, k));
        if (via > rowJ.get(k)!) rowJ.set(k, via);
      }
    }
  }
  return p;
}

/** Every option not beaten by a stronger path, in tie order (the first one is the winner). */
export function schulzeWinners(tieOrder: readonly string[], p: Matrix): string[] {
  return tieOrder.filter((a) => tieOrder.every((b) => b === a || at(p, a, b) >= at(p, b, a)));
}
