/** The contract every consensus method fulfils (docs/DESIGN.md §8: a method is a predicate over a tally). */
import type { BallotKind, BallotRules, MethodOutcome, Tally } from '../types.ts';

export interface ConsensusMethod<P> {
  /** The main ballot kind a member casts under this method; null: the params say (custom rules). */
  readonly ballotKind: BallotKind | null;
  /** Every ballot kind the tally counts for this method (others are ignored). */
  accepts(params: P): readonly BallotKind[];
  /** Checks raw params (from the genesis) and returns them normalised; throws CONSENSUS_* codes. */
  validateParams(raw: unknown): P;
  /** Ballot rules implied by the params (score range, dot budget, RSVP capacity). */
  rules(params: P): Partial<BallotRules>;
  /** Pure predicate over the tally. */
  evaluate(tally: Tally, params: P): MethodOutcome;
}
