/**
 * Single-winner methods (docs/CONSENSUS.md "Single-winner methods"). The winner comes from the
 * tally; `passed` means a winner exists. Plurality, approval, score and dot votes are decided
 * early when the leader is ahead by more than the missing voters could make up; ranked methods
 * (IRV, Schulze, Borda) are done only when everyone voted or at the deadline.
 */
import { badParams, intParam, type NoParams, noParams, paramObject } from '../params.ts';
import { TALLY_LIMITS } from '../limits.ts';
import type { BallotKind, MethodOutcome, Tally } from '../types.ts';
import type { ConsensusMethod } from './method.ts';
import { conclude, remainingFor } from './outcome.ts';

type Totals = Record<string, number>;

/** Lead of `winner` over the best other option. */
function lead(t: Tally, totals: Totals, winner: string): number {
  let second = 0;
  let first = true;
  for (const o of t.options) {
    if (o === winner) continue;
    const v = totals[o]!;
    if (first || v > second) second = v;
    first = false;
  }
  return totals[winner]! - (first ? 0 : second);
}

function counted(
  t: Tally,
  kind: BallotKind,
  winner: string | null,
  totals: Totals,
  swingPerVoter: number,
): MethodOutcome {
  const R = remainingFor(t, [kind]);
  const decided = winner !== null && lead(t, totals, winner) > R * swingPerVoter;
  return conclude(t, { decided, remaining: R, allVotedEnds: true }, { passed: winner !== null, winner });
}

function ranked(t: Tally, winner: string | null): MethodOutcome {
  const R = remainingFor(t, ['ranking']);
  return conclude(
    t,
    { decided: false, remaining: R, allVotedEnds: true },
    { passed: winner !== null, winner },
  );
}

export const plurality: ConsensusMethod<NoParams> = {
  ballotKind: 'choice',
  accepts: () => ['choice'],
  rules: () => ({}),
  validateParams: noParams,
  evaluate: (t) => counted(t, 'choice', t.winners.plurality, t.choices, 1),
};

export const approval: ConsensusMethod<NoParams> = {
  ballotKind: 'approval',
  accepts: () => ['approval'],
  rules: () => ({}),
  validateParams: noParams,
  evaluate: (t) => counted(t, 'approval', t.winners.approval, t.approvals, 1),
};

export interface ScoreParams {
  min: number;
  max: number;
}

export const score: ConsensusMethod<ScoreParams> = {
  ballotKind: 'score',
  accepts: () => ['score'],
  rules: (p) => ({ score: { min: p.min, max: p.max } }),
  validateParams(raw) {
    const obj = paramObject(raw, ['min', 'max']);
    const L = TALLY_LIMITS.maxAbsScore;
    const min = intParam(obj, 'min', -L, L, 0);
    const max = intParam(obj, 'max', -L, L, 10);
    if (max <= min) badParams('"max" must be greater than "min".');
    return { min, max };
  },
  evaluate: (t, p) => counted(t, 'score', t.winners.score, t.scores, p.max - p.min),
};

export interface DotVoteParams {
  budget: number;
}

export const dotVote: ConsensusMethod<DotVoteParams> = {
  ballotKind: 'dots',
  accepts: () => ['dots'],
  rules: (p) => ({ dotBudget: p.budget }),
  validateParams: (raw) => ({
    budget: intParam(paramObject(raw, ['budget']), 'budget', 1, TALLY_LIMITS.maxDotBudget, 10),
  }),
  evaluate: (t, p) => counted(t, 'dots', t.winners.dots, t.dots, p.budget),
};

const RANKING: readonly BallotKind[] = ['ranking'];
const rankedBase = {
  ballotKind: 'ranking',
  accepts: () => RANKING,
  rules: () => ({}),
  validateParams: noParams,
} as const;

export const irv: ConsensusMethod<NoParams> = { ...rankedBase, evaluate: (t) => ranked(t, t.irv.winner) };
export const schulze: ConsensusMethod<NoParams> = {
  ...rankedBase,
  evaluate: (t) => ranked(t, t.schulze.winner),
};
export const borda: ConsensusMethod<NoParams> = { ...rankedBase, evaluate: (t) => ranked(t, t.borda.winner) };
