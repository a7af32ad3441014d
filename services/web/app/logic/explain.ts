/**
 * The outcome in words: which method decided what, and how (rounds of IRV, the Schulze winner
 * with its strongest paths, a tie and how it was broken).
 */
import type { MethodResult, Tally } from '../api.ts';

export function explainOutcome(method: string, result: MethodResult, tally: Tally): string[] {
  const lines: string[] = [];
  const reason =
    result.reason === 'deadline'
      ? 'the deadline passed'
      : result.reason === 'all-voted'
        ? 'every member voted'
        : 'the result could no longer change';
  if (result.winner !== undefined) lines.push(result.winner ? `Winner: ${result.winner}.` : 'No winner.');
  else lines.push(result.passed ? 'Passed.' : 'Not passed.');
  lines.push(`Decided because ${reason} (${tally.turnout} of ${tally.eligible} voted).`);
  if (method === 'irv')
    tally.irv.rounds.forEach((r, i) => {
      const counts = Object.entries(r.counts)
        .map(([o, n]) => `${o} ${n}`)
        .join(', ');
      lines.push(`Round ${i + 1}: ${counts}${r.eliminated ? `; ${r.eliminated} eliminated` : ''}.`);
    });
  if (method === 'schulze' && tally.schulze.winner) {
    const w = tally.schulze.winner;
    const beats = Object.entries(tally.schulze.strongest[w] ?? {})
      .filter(([o]) => o !== w)
      .map(([o, n]) => `${o} (${n} to ${tally.schulze.strongest[o]?.[w] ?? 0})`);
    if (beats.length) lines.push(`Strongest paths: ${w} beats ${beats.join(', ')}.`);
  }
  const totals = totalsFor(method, tally);
  if (totals) {
    const top = Math.max(...Object.values(totals));
    const tied = Object.keys(totals).filter((o) => totals[o] === top);
    if (tied.length > 1 && result.winner)
      lines.push(
        `A tie between ${tied.join(' and ')} was broken by the fixed tie order (${tally.tieOrder.join(', ')}).`,
      );
  }
  if (result.error) lines.push(`The rule failed: ${result.error}`);
  return lines;
}

function totalsFor(method: string, t: Tally): Record<string, number> | null {
  if (method === 'plurality') return t.choices;
  if (method === 'approval') return t.approvals;
  if (method === 'score') return t.scores;
  if (method === 'dot-vote') return t.dots;
  if (method === 'borda') return t.borda.scores;
  return null;
}
