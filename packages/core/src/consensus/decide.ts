/**
 * One entry point for the conversation worker (docs/DESIGN.md §8): a consensus spec from the genesis,
 * prepared once (params validated, CEL compiled), then run over the ordered, validated ballots.
 */
import { KithError } from '../errors.ts';
import { isMethodName, METHODS, type MethodName } from './methods/registry.ts';
import type { ConsensusMethod } from './methods/method.ts';
import { tally } from './tally.ts';
import type { BallotKind, BallotRules, MethodOutcome, Tally, TallyInput } from './types.ts';

export interface ConsensusSpec {
  method: string;
  params?: unknown;
}

/** What the worker supplies each time: the rest comes from the prepared method. */
export type DecisionInput = Omit<TallyInput, 'rules' | 'accept'>;

export interface PreparedMethod {
  readonly method: MethodName;
  /** Normalised params (CEL rules compiled). */
  readonly params: unknown;
  readonly ballotKind: BallotKind | null;
  readonly accepts: readonly BallotKind[];
  readonly rules: Partial<BallotRules>;
  evaluate(t: Tally): MethodOutcome;
  decide(input: DecisionInput): { tally: Tally; outcome: MethodOutcome };
}

/** Validates a spec; throws CONSENSUS_UNKNOWN_METHOD, CONSENSUS_BAD_PARAMS or CONSENSUS_CEL_*. */
export function prepareMethod(spec: ConsensusSpec): PreparedMethod {
  if (typeof spec !== 'object' || spec === null || !isMethodName(spec.method))
    throw new KithError('CONSENSUS_UNKNOWN_METHOD', `Known methods: ${Object.keys(METHODS).join(', ')}.`);
  const m = METHODS[spec.method] as ConsensusMethod<unknown>;
  const params = m.validateParams(spec.params);
  const accepts = m.accepts(params);
  const rules = m.rules(params);
  const evaluate = (t: Tally) => m.evaluate(t, params);
  return {
    method: spec.method,
    params,
    ballotKind: m.ballotKind ?? accepts[0] ?? null,
    accepts,
    rules,
    evaluate,
    decide(input) {
      const t = tally({ ...input, rules, accept: accepts });
      return { tally: t, outcome: evaluate(t) };
    },
  };
}

export function decide(spec: ConsensusSpec, input: DecisionInput): { tally: Tally; outcome: MethodOutcome } {
  return prepareMethod(spec).decide(input);
}
