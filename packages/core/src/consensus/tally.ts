/**
 * The deterministic tally (docs/DESIGN.md §8, docs/CONSENSUS.md "Tally"). A pure function of its input:
 * no clock, no randomness; the same input gives the same JSON, byte for byte, on every member's
 * machine. Ballots from the same voter replace each other in event order (latest wins); the
 * order of different voters' ballots changes nothing except who is first on an RSVP list.
 */
import { utf8 } from '../crypto/bytes.ts';
import { KithError } from '../errors.ts';
import { checkBallot, DEFAULT_RULES } from './ballot.ts';
import { bordaCount } from './borda.ts';
import { instantRunoff } from './irv.ts';
import { isValidId, TALLY_LIMITS } from './limits.ts';
import { condorcetWinner, matrixToRecord, pairwiseMatrix } from './pairwise.ts';
import { groupRankings } from './rankings.ts';
import { schulzeWinners, strongestPaths } from './schulze.ts';
import { compareIds, pickBest, tieOrder as computeTieOrder } from './tie-order.ts';
import {
  BALLOT_KINDS,
  type Ballot,
  type BallotKind,
  type BallotRules,
  type IgnoredBallot,
  type IgnoredReason,
  type Tally,
  type TallyInput,
} from './types.ts';

function bad(detail: string): never {
  throw new KithError('CONSENSUS_BAD_INPUT', detail);
}

function checkIds(ids: unknown, what: string, max: number): string[] {
  if (!Array.isArray(ids)) bad(`The ${what} must be a list.`);
  if (ids.length > max) throw new KithError('CONSENSUS_TOO_LARGE', `At most ${max} ${what} are allowed.`);
  const seen = new Set<string>();
  for (const id of ids) {
    if (!isValidId(id))
      bad(`Each of the ${what} must be 1 to ${TALLY_LIMITS.maxIdLength} printable ASCII characters.`);
    if (seen.has(id)) bad(`The ${what} contain a duplicate.`);
    seen.add(id);
  }
  return [...(ids as string[])];
}

function isInt(x: unknown, min: number, max: number): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= min && x <= max;
}

/** Merges and checks ballot rules; exported so methods and patterns share one definition. */
export function resolveRules(rules: Partial<BallotRules> | undefined): BallotRules {
  const r: BallotRules = {
    score: { ...DEFAULT_RULES.score, ...(rules?.score ?? {}) },
    dotBudget: rules?.dotBudget ?? DEFAULT_RULES.dotBudget,
    capacity: rules?.capacity === undefined ? DEFAULT_RULES.capacity : rules.capacity,
  };
  const L = TALLY_LIMITS;
  if (!isInt(r.score.min, -L.maxAbsScore, L.maxAbsScore) || !isInt(r.score.max, r.score.min, L.maxAbsScore))
    bad(`The score range must be integers with min <= max and |score| <= ${L.maxAbsScore}.`);
  if (!isInt(r.dotBudget, 1, L.maxDotBudget)) bad(`The dot budget must be an integer 1..${L.maxDotBudget}.`);
  if (r.capacity !== null && !isInt(r.capacity, 1, L.maxCapacity))
    bad(`The capacity must be null or an integer 1..${L.maxCapacity}.`);
  return r;
}

/** A clean copy with only the fields of its kind (extra fields never reach the tally). */
function normalise(b: Ballot): Ballot {
  switch (b.kind) {
    case 'yes-no':
      return { kind: b.kind, vote: b.vote };
    case 'choice':
      return { kind: b.kind, option: b.option };
    case 'approval':
      return { kind: b.kind, options: [...b.options] };
    case 'ranking':
      return { kind: b.kind, ranking: [...b.ranking] };
    case 'score':
      return { kind: b.kind, scores: { ...b.scores } };
    case 'dots':
      return { kind: b.kind, dots: { ...b.dots } };
    case 'rsvp':
      return { kind: b.kind, answer: b.answer };
    case 'objection':
    case 'block':
      return { kind: b.kind, reason: b.reason };
    case 'apache':
      return { kind: b.kind, vote: b.vote, binding: b.binding };
    case 'ack':
    case 'withdraw':
      return { kind: b.kind };
  }
}

function zeroes(options: readonly string[]): Map<string, number> {
  return new Map(options.map((o) => [o, 0]));
}

function toRecord(options: readonly string[], m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of options) out[o] = m.get(o) ?? 0;
  return out;
}

function add(m: Map<string, number>, k: string, n: number): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

export function tally(input: TallyInput): Tally {
  if (typeof input !== 'object' || input === null) bad('The tally input must be an object.');
  const options = checkIds(input.options, 'options', TALLY_LIMITS.maxOptions);
  const members = checkIds(input.members, 'members', TALLY_LIMITS.maxMembers).sort(compareIds);
  if (!Array.isArray(input.ballots)) bad('The ballots must be a list.');
  if (input.ballots.length > TALLY_LIMITS.maxBallots)
    throw new KithError('CONSENSUS_TOO_LARGE', `At most ${TALLY_LIMITS.maxBallots} ballots are allowed.`);
  if (!isInt(input.now, 0, Number.MAX_SAFE_INTEGER)) bad('`now` must be a non-negative integer (ms).');
  const deadline = input.deadline ?? null;
  if (deadline !== null && !isInt(deadline, 0, Number.MAX_SAFE_INTEGER))
    bad('`deadline` must be null or a non-negative integer (ms).');
  const seed = input.seed ?? null;
  if (seed !== null && (typeof seed !== 'string' || utf8.encode(seed).length > 255))
    bad('The tie-break seed must be a string of at most 255 bytes.');
  const rules = resolveRules(input.rules);
  const accept = input.accept ?? null;
  if (accept !== null && (!Array.isArray(accept) || accept.some((k) => !BALLOT_KINDS.includes(k))))
    bad('`accept` must be a list of ballot kinds.');

  const order = computeTieOrder(options, seed);
  const optionSet = new Set(options);
  const memberSet = new Set(members);

  // Latest ballot per voter wins; `index` remembers when the current ballot was cast.
  const current = new Map<string, { ballot: Ballot; index: number }>();
  const ignored: IgnoredBallot[] = [];
  input.ballots.forEach((cast, index) => {
    const voter = typeof cast?.voter === 'string' ? cast.voter : String(cast?.voter);
    let reason: IgnoredReason | null = memberSet.has(voter)
      ? checkBallot(cast.ballot, optionSet, rules)
      : 'not-a-member';
    const ballot = cast?.ballot;
    if (reason === null && ballot.kind !== 'withdraw' && accept !== null && !accept.includes(ballot.kind))
      reason = 'kind-not-accepted';
    if (reason !== null) ignored.push({ index, voter, reason });
    else if (ballot.kind === 'withdraw') current.delete(voter);
    else current.set(voter, { ballot: normalise(ballot), index });
  });

  const voters = [...current.keys()].sort(compareIds);
  const kinds = Object.fromEntries(BALLOT_KINDS.map((k) => [k, 0])) as Record<BallotKind, number>;
  const yesNo = { yes: 0, no: 0, abstain: 0 };
  const choices = zeroes(options);
  const approvals = zeroes(options);
  const scores = zeroes(options);
  const dots = zeroes(options);
  const rankingList: string[][] = [];
  const objections: { voter: string; reason: string }[] = [];
  const blocks: { voter: string; reason: string }[] = [];
  const acks: string[] = [];
  const rsvp = { yes: 0, no: 0, maybe: 0 };
  const rsvpYes: { voter: string; index: number }[] = [];
  const apache = { binding: { plus: 0, zero: 0, minus: 0 }, all: { plus: 0, zero: 0, minus: 0 } };
  const ballots: Record<string, Ballot> = {};
  let anyScore = false;

  for (const voter of voters) {
    const { ballot: b, index } = current.get(voter)!;
    ballots[voter] = b;
    kinds[b.kind]++;
    switch (b.kind) {
      case 'yes-no':
        yesNo[b.vote]++;
        break;
      case 'choice':
        add(choices, b.option, 1);
        break;
      case 'approval':
        for (const o of b.options) add(approvals, o, 1);
        break;
      case 'ranking':
        rankingList.push(b.ranking);
        break;
      case 'score':
        anyScore = true;
        for (const o of options) add(scores, o, Object.hasOwn(b.scores, o) ? b.scores[o]! : rules.score.min);
        break;
      case 'dots':
        for (const [o, n] of Object.entries(b.dots)) add(dots, o, n);
        break;
      case 'rsvp':
        rsvp[b.answer]++;
        if (b.answer === 'yes') rsvpYes.push({ voter, index });
        break;
      case 'ack':
        acks.push(voter);
        break;
      case 'objection':
        objections.push({ voter, reason: b.reason });
        break;
      case 'block':
        blocks.push({ voter, reason: b.reason });
        break;
      case 'apache': {
        const key = b.vote === 1 ? 'plus' : b.vote === 0 ? 'zero' : 'minus';
        apache.all[key]++;
        if (b.binding) apache.binding[key]++;
        break;
      }
      case 'withdraw':
        break;
    }
  }

  const rankings = groupRankings(rankingList);
  const d = pairwiseMatrix(options, rankings);
  const anyPreference = rankings.some((g) => g.ranking.length > 0);
  const strongest = strongestPaths(options, d);
  const sWinners = anyPreference ? schulzeWinners(order, strongest) : [];
  const irv = instantRunoff(options, order, rankings);
  const borda = bordaCount(options, order, rankings);
  const condorcet = anyPreference ? condorcetWinner(options, d) : null;
  rsvpYes.sort((a, b) => a.index - b.index);
  const capacity = rules.capacity;
  const confirmedCount = capacity === null ? rsvpYes.length : Math.min(capacity, rsvpYes.length);

  return {
    version: 1,
    options,
    members,
    tieOrder: order,
    now: input.now,
    deadline,
    deadlinePassed: deadline !== null && input.now >= deadline,
    eligible: members.length,
    voters,
    turnout: voters.length,
    remaining: members.length - voters.length,
    ignored,
    ballots,
    kinds,
    yesNo,
    choices: toRecord(options, choices),
    approvals: toRecord(options, approvals),
    scores: toRecord(options, scores),
    dots: toRecord(options, dots),
    rankings,
    pairwise: matrixToRecord(options, d),
    irv,
    schulze: {
      strongest: matrixToRecord(options, strongest),
      winners: sWinners,
      winner: sWinners[0] ?? null,
    },
    borda,
    winners: {
      plurality: pickBest(order, (o) => choices.get(o)!, 0),
      approval: pickBest(order, (o) => approvals.get(o)!, 0),
      score: anyScore ? pickBest(order, (o) => scores.get(o)!) : null,
      dots: pickBest(order, (o) => dots.get(o)!, 0),
      borda: borda.winner,
      irv: irv.winner,
      schulze: sWinners[0] ?? null,
      condorcet,
    },
    objections,
    blocks,
    acks,
    rsvp: {
      ...rsvp,
      capacity,
      confirmed: rsvpYes.slice(0, confirmedCount).map((x) => x.voter),
      waitlist: rsvpYes.slice(confirmedCount).map((x) => x.voter),
    },
    apache,
    rules,
  };
}
