/** Shared shape of every method's answer (docs/CONSENSUS.md "When a method is done"). */
import type { BallotKind, MethodOutcome, MethodResult, Tally } from '../types.ts';

/** Eligible members whose current ballot is not of one of `kinds`. */
export function remainingFor(t: Tally, kinds: readonly BallotKind[]): number {
  return t.eligible - kinds.reduce((s, k) => s + t.kinds[k], 0);
}

/**
 * done = decided early (the outcome can no longer change with the voters still missing),
 * or everyone voted (only where that settles the method), or the deadline passed.
 */
export function conclude(
  t: Tally,
  when: { decided: boolean; allVoted: boolean },
  result: Omit<MethodResult, 'reason'>,
): MethodOutcome {
  const reason = when.decided
    ? 'decided'
    : when.allVoted
      ? 'all-voted'
      : t.deadlinePassed
        ? 'deadline'
        : 'pending';
  return { done: reason !== 'pending', result: { ...result, reason } };
}
