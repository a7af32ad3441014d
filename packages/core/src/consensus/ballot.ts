/**
 * Validation of one ballot against the conversation's options and ballot rules
 * (docs/CONSENSUS.md "Ballots"). The tally ignores (and reports) a ballot that fails; a pattern
 * layer can call `assertBallot` to refuse the event up front.
 */
import { KithError } from '../errors.ts';
import { TALLY_LIMITS } from './limits.ts';
import type { Ballot, BallotRules, IgnoredReason } from './types.ts';

export const DEFAULT_RULES: BallotRules = { score: { min: 0, max: 10 }, dotBudget: 10, capacity: null };

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function checkOptionList(list: unknown, options: ReadonlySet<string>): IgnoredReason | null {
  if (!Array.isArray(list)) return 'malformed';
  const seen = new Set<string>();
  for (const o of list) {
    if (typeof o !== 'string') return 'malformed';
    if (!options.has(o)) return 'unknown-option';
    if (seen.has(o)) return 'duplicate-option';
    seen.add(o);
  }
  return null;
}

/** Checks an option -> integer record; returns the reason or the entries. */
function optionIntegers(rec: unknown, options: ReadonlySet<string>): IgnoredReason | [string, number][] {
  if (!isPlainObject(rec)) return 'malformed';
  const entries = Object.entries(rec);
  for (const [o, v] of entries) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return 'malformed';
    if (!options.has(o)) return 'unknown-option';
  }
  return entries as [string, number][];
}

/** Returns null if the ballot counts, else why it is ignored. Never throws. */
export function checkBallot(
  ballot: unknown,
  options: ReadonlySet<string>,
  rules: BallotRules,
): IgnoredReason | null {
  if (!isPlainObject(ballot) || typeof ballot.kind !== 'string') return 'malformed';
  const b = ballot;
  switch (b.kind) {
    case 'yes-no':
      return b.vote === 'yes' || b.vote === 'no' || b.vote === 'abstain' ? null : 'malformed';
    case 'choice':
      if (typeof b.option !== 'string') return 'malformed';
      return options.has(b.option) ? null : 'unknown-option';
    case 'approval':
      return checkOptionList(b.options, options);
    case 'ranking':
      return checkOptionList(b.ranking, options);
    case 'score': {
      const entries = optionIntegers(b.scores, options);
      if (typeof entries === 'string') return entries;
      for (const [, v] of entries)
        if (v < rules.score.min || v > rules.score.max) return 'score-out-of-range';
      return null;
    }
    case 'dots': {
      const entries = optionIntegers(b.dots, options);
      if (typeof entries === 'string') return entries;
      let sum = 0;
      for (const [, v] of entries) {
        if (v < 0) return 'malformed';
        sum += v;
      }
      return sum > rules.dotBudget ? 'over-budget' : null;
    }
    case 'rsvp':
      return b.answer === 'yes' || b.answer === 'no' || b.answer === 'maybe' ? null : 'malformed';
    case 'ack':
    case 'withdraw':
      return null;
    case 'objection':
    case 'block':
      if (typeof b.reason !== 'string') return 'malformed';
      return b.reason.length > TALLY_LIMITS.maxReasonLength ? 'reason-too-long' : null;
    case 'apache':
      if (b.vote !== 1 && b.vote !== 0 && b.vote !== -1) return 'malformed';
      return typeof b.binding === 'boolean' ? null : 'malformed';
    default:
      return 'malformed';
  }
}

/** Throws CONSENSUS_BAD_BALLOT unless the ballot would be counted. */
export function assertBallot(
  ballot: unknown,
  options: readonly string[],
  rules: Partial<BallotRules> = {},
): asserts ballot is Ballot {
  const all = { ...DEFAULT_RULES, ...rules };
  const reason = checkBallot(ballot, new Set(options), all);
  if (reason !== null) throw new KithError('CONSENSUS_BAD_BALLOT', ballotProblem(reason, options, all));
}

/** Why a ballot is refused, in a person's words, naming what would be valid. */
export function ballotProblem(reason: IgnoredReason, options: readonly string[], rules: BallotRules): string {
  const list = options.length ? options.map((o) => `"${o}"`).join(', ') : 'none (it has no options)';
  switch (reason) {
    case 'unknown-option':
      return `It names an option the conversation does not have; its options are ${list}.`;
    case 'duplicate-option':
      return `It names an option twice; name each of ${list} at most once.`;
    case 'score-out-of-range':
      return `A score is outside ${rules.score.min} to ${rules.score.max}; the options are ${list}.`;
    case 'over-budget':
      return `It gives more than the ${rules.dotBudget} dots each member has; the options are ${list}.`;
    case 'reason-too-long':
      return `The reason is longer than ${TALLY_LIMITS.maxReasonLength} characters.`;
    default:
      return `It is not a well-formed ballot (${reason}).`;
  }
}
