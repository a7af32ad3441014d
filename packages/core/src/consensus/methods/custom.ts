/**
 * Custom rules (method name `cel`, docs/CONSENSUS.md "Custom rules"): `done` is a CEL predicate
 * over the tally; `passed` (default: true once done) says whether the proposal carried;
 * `winner` names which tally winner to report. A rule that fails at run time (say a missing
 * map key) counts as not done, with the error in the result, so every member still agrees.
 * Like every method, it is done once the deadline passed, whatever `done` says: the result
 * then carries the rules' value at that moment (reason 'deadline'; `passed` false when there
 * is no `passed` rule or a rule failed).
 */
import { isKithError } from '../../errors.ts';
import { resolveRules } from '../tally.ts';
import { compilePredicate, type CelPredicate, evaluatePredicate } from '../cel/predicate.ts';
import { badParams, paramObject } from '../params.ts';
import { BALLOT_KINDS, type BallotKind, type BallotRules, type Tally } from '../types.ts';
import type { ConsensusMethod } from './method.ts';

export const WINNER_SOURCES = [
  'plurality',
  'approval',
  'score',
  'dots',
  'borda',
  'irv',
  'schulze',
  'condorcet',
] as const satisfies readonly (keyof Tally['winners'])[];
export type WinnerSource = (typeof WINNER_SOURCES)[number];

export interface CelMethodParams {
  done: CelPredicate;
  passed: CelPredicate | null;
  winner: WinnerSource | null;
  accepts: BallotKind[];
  rules: Partial<BallotRules>;
}

function checkRules(raw: unknown): Partial<BallotRules> {
  if (raw === undefined || raw === null) return {};
  const obj = paramObject(raw, ['score', 'dotBudget', 'capacity']) as Partial<BallotRules>;
  try {
    resolveRules(obj);
  } catch (e) {
    if (isKithError(e)) badParams(`"rules": ${e.detail ?? e.message}`);
    throw e;
  }
  return obj;
}

export const celMethod: ConsensusMethod<CelMethodParams> = {
  ballotKind: null,
  accepts: (p) => p.accepts,
  rules: (p) => p.rules,
  validateParams(raw) {
    const obj = paramObject(raw, ['done', 'passed', 'winner', 'accepts', 'rules']);
    if (typeof obj.done !== 'string') badParams('"done" must be a CEL expression (a string).');
    if (obj.passed !== undefined && typeof obj.passed !== 'string')
      badParams('"passed" must be a CEL expression (a string).');
    const winner = obj.winner ?? null;
    if (winner !== null && !WINNER_SOURCES.includes(winner as WinnerSource))
      badParams(`"winner" must be one of: ${WINNER_SOURCES.join(', ')}.`);
    const accepts = obj.accepts;
    if (
      !Array.isArray(accepts) ||
      accepts.length === 0 ||
      accepts.some((k) => !BALLOT_KINDS.includes(k) || k === 'withdraw') ||
      new Set(accepts).size !== accepts.length
    )
      badParams('"accepts" must list the ballot kinds the rule counts (e.g. ["yes-no"]).');
    return {
      done: compilePredicate(obj.done),
      passed: typeof obj.passed === 'string' ? compilePredicate(obj.passed) : null,
      winner: winner as WinnerSource | null,
      accepts: [...accepts] as BallotKind[],
      rules: checkRules(obj.rules),
    };
  },
  evaluate(t, p) {
    const winner = p.winner === null ? {} : { winner: t.winners[p.winner] };
    const closed = t.deadlinePassed;
    try {
      const done = evaluatePredicate(p.done, t);
      const passed = p.passed === null ? done : evaluatePredicate(p.passed, t);
      const reason = done ? 'decided' : closed ? 'deadline' : 'pending';
      return { done: done || closed, result: { passed, ...winner, reason } };
    } catch (e) {
      if (!isKithError(e)) throw e;
      const reason = closed ? 'deadline' : 'pending';
      return { done: closed, result: { passed: false, ...winner, reason, error: e.code } };
    }
  },
};
