/** Shared shape of every method's answer (docs/CONSENSUS.md "When a method is done"). */
import type { BallotKind, MethodOutcome, MethodResult, Tally } from '../types.ts';

/** Eligible members whose current ballot is not of one of `kinds`. */
export function remainingFor(t: Tally, kinds: readonly BallotKind[]): number {
  return t.eligible - kinds.reduce((s, k) => s + t.kinds[k], 0);
}

/**
 * done = decided (the outcome can no longer change, whatever the missing voters do), or every
 * eligible member voted (for methods where that settles it), or the deadline passed.
 * reason: why it is done: 'all-voted' when settled with nobody missing, 'decided' when settled
 * before that, 'deadline' when only the deadline ended it.
 */
export function conclude(
  t: Tally,
  when: { decided: boolean; remaining: number; allVotedEnds: boolean },
  result: Omit<MethodResult, 'reason'>,
): MethodOutcome {
  const allVoted = when.remaining === 0;
  const settled = when.decided || (allVoted && when.allVotedEnds);
  const done = settled || t.deadlinePassed;
  const reason = !done ? 'pending' : !settled ? 'deadline' : allVoted ? 'all-voted' : 'decided';
  return { done, result: { ...result, reason } };
}
