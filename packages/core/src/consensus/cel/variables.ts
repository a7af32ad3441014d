/**
 * The tally as typed CEL variables (docs/CONSENSUS.md "Variables"): name, static type, size
 * bound (for the cost check) and value. Ints are CEL ints (bigint); times are milliseconds
 * since the Unix epoch; a missing deadline, capacity or winner is -1, -1 or ''.
 */
import type { CelInput } from '@bufbuild/cel';
import type { Tally } from '../types.ts';
import { type CType, SCALAR, type Size, T } from './types.ts';

/** Sizes the cost bound assumes: counts of members and options, longest id. */
export interface CelBounds {
  members: number;
  options: number;
  idLength: number;
}

interface Variable {
  type: CType;
  size(b: CelBounds): Size;
  value(t: Tally): CelInput;
}

const int = (f: (t: Tally) => number): Variable => ({
  type: T.int,
  size: () => SCALAR,
  value: (t) => BigInt(f(t)),
});
const bool = (f: (t: Tally) => boolean): Variable => ({ type: T.bool, size: () => SCALAR, value: f });
const ids = (count: (b: CelBounds) => number, f: (t: Tally) => string[]): Variable => ({
  type: T.list(T.string),
  size: (b) => ({ n: count(b), e: { n: b.idLength } }),
  value: f,
});
const perOption = (f: (t: Tally) => Record<string, number>): Variable => ({
  type: T.map(T.string, T.int),
  size: (b) => ({ n: b.options, e: { n: b.idLength }, v: SCALAR }),
  value: (t) => {
    const r = f(t);
    return new Map(t.options.map((o) => [o, BigInt(r[o] ?? 0)]));
  },
});
const matrix = (f: (t: Tally) => Record<string, Record<string, number>>): Variable => ({
  type: T.map(T.string, T.map(T.string, T.int)),
  size: (b) => ({ n: b.options, e: { n: b.idLength }, v: { n: b.options, e: { n: b.idLength }, v: SCALAR } }),
  value: (t) => {
    const m = f(t);
    // The diagonal is 0 here (the tally leaves it out) so rules can loop over all pairs.
    return new Map(t.options.map((a) => [a, new Map(t.options.map((x) => [x, BigInt(m[a]?.[x] ?? 0)]))]));
  },
});
const members = (b: CelBounds) => b.members;
const options = (b: CelBounds) => b.options;

const WINNER_KEYS = [
  'plurality',
  'approval',
  'score',
  'dots',
  'borda',
  'irv',
  'schulze',
  'condorcet',
] as const;

export const VARIABLES: Readonly<Record<string, Variable>> = {
  now: int((t) => t.now),
  deadline: int((t) => t.deadline ?? -1),
  has_deadline: bool((t) => t.deadline !== null),
  deadline_passed: bool((t) => t.deadlinePassed),
  eligible: int((t) => t.eligible),
  turnout: int((t) => t.turnout),
  remaining: int((t) => t.remaining),
  members: ids(members, (t) => t.members),
  voters: ids(members, (t) => t.voters),
  options: ids(options, (t) => t.options),
  tie_order: ids(options, (t) => t.tieOrder),
  yes: int((t) => t.yesNo.yes),
  no: int((t) => t.yesNo.no),
  abstain: int((t) => t.yesNo.abstain),
  choices: perOption((t) => t.choices),
  approvals: perOption((t) => t.approvals),
  scores: perOption((t) => t.scores),
  dots: perOption((t) => t.dots),
  borda: perOption((t) => t.borda.scores),
  first_preferences: perOption((t) => t.irv.rounds[0]?.counts ?? {}),
  pairwise: matrix((t) => t.pairwise),
  strongest: matrix((t) => t.schulze.strongest),
  winner: {
    type: T.map(T.string, T.string),
    size: (b) => ({ n: WINNER_KEYS.length, e: { n: 10 }, v: { n: b.idLength } }),
    value: (t) => new Map(WINNER_KEYS.map((k) => [k, t.winners[k] ?? ''])),
  },
  irv_rounds: int((t) => t.irv.rounds.length),
  objections: int((t) => t.objections.length),
  blocks: int((t) => t.blocks.length),
  acks: int((t) => t.acks.length),
  objectors: ids(members, (t) => t.objections.map((o) => o.voter)),
  blockers: ids(members, (t) => t.blocks.map((o) => o.voter)),
  acknowledged: ids(members, (t) => t.acks),
  rsvp_yes: int((t) => t.rsvp.yes),
  rsvp_no: int((t) => t.rsvp.no),
  rsvp_maybe: int((t) => t.rsvp.maybe),
  rsvp_confirmed: int((t) => t.rsvp.confirmed.length),
  rsvp_waitlisted: int((t) => t.rsvp.waitlist.length),
  capacity: int((t) => t.rsvp.capacity ?? -1),
  apache: {
    type: T.map(T.string, T.int),
    size: () => ({ n: 6, e: { n: 13 }, v: SCALAR }),
    value: (t) =>
      new Map([
        ['binding_plus', BigInt(t.apache.binding.plus)],
        ['binding_zero', BigInt(t.apache.binding.zero)],
        ['binding_minus', BigInt(t.apache.binding.minus)],
        ['plus', BigInt(t.apache.all.plus)],
        ['zero', BigInt(t.apache.all.zero)],
        ['minus', BigInt(t.apache.all.minus)],
      ]),
  },
  /** voter -> 'yes' | 'no' | 'abstain', for members with a yes-no ballot. */
  votes: {
    type: T.map(T.string, T.string),
    size: (b) => ({ n: b.members, e: { n: b.idLength }, v: { n: 7 } }),
    value: (t) =>
      new Map(
        t.voters.flatMap((v) => {
          const b = t.ballots[v]!;
          return b.kind === 'yes-no' ? [[v, b.vote] as [string, string]] : [];
        }),
      ),
  },
  /** voter -> kind of their current ballot. */
  kinds: {
    type: T.map(T.string, T.string),
    size: (b) => ({ n: b.members, e: { n: b.idLength }, v: { n: 9 } }),
    value: (t) => new Map(t.voters.map((v) => [v, t.ballots[v]!.kind])),
  },
};

/** Sizes of an actual tally. */
export function boundsOf(t: Tally): CelBounds {
  const longest = [...t.members, ...t.options].reduce((m, id) => Math.max(m, id.length), 0);
  return { members: t.members.length, options: t.options.length, idLength: longest };
}

export function bindingsOf(t: Tally): Record<string, CelInput> {
  const out: Record<string, CelInput> = {};
  for (const [name, v] of Object.entries(VARIABLES)) out[name] = v.value(t);
  return out;
}
