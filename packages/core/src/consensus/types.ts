/**
 * The typed vocabulary of consensus (docs/DESIGN.md §8, docs/CONSENSUS.md): ballots, the tally input
 * and the tally itself. Everything here is plain JSON data (no bigint, no Map, no undefined in
 * a Tally) so that a tally can be signed, stored and compared byte for byte.
 */

/** Every form a ballot can take. A voter has one current ballot: the latest one wins. */
export type Ballot =
  | { kind: 'yes-no'; vote: 'yes' | 'no' | 'abstain' }
  | { kind: 'choice'; option: string }
  | { kind: 'approval'; options: string[] }
  /** Most preferred first; partial rankings allowed (unranked options are below all ranked ones). */
  | { kind: 'ranking'; ranking: string[] }
  /** option -> integer score within [rules.score.min, rules.score.max]; missing options score min. */
  | { kind: 'score'; scores: Record<string, number> }
  /** option -> non-negative integer number of dots; the sum is at most rules.dotBudget. */
  | { kind: 'dots'; dots: Record<string, number> }
  | { kind: 'rsvp'; answer: 'yes' | 'no' | 'maybe' }
  | { kind: 'ack' }
  | { kind: 'objection'; reason: string }
  | { kind: 'block'; reason: string }
  /** Apache-style vote: +1, 0 or -1, binding (e.g. a PMC member) or not. */
  | { kind: 'apache'; vote: 1 | 0 | -1; binding: boolean }
  /** Takes back the voter's current ballot: they count as not having voted. */
  | { kind: 'withdraw' };

export type BallotKind = Ballot['kind'];

export const BALLOT_KINDS: readonly BallotKind[] = [
  'yes-no',
  'choice',
  'approval',
  'ranking',
  'score',
  'dots',
  'rsvp',
  'ack',
  'objection',
  'block',
  'apache',
  'withdraw',
];

/** One ballot as it appears in the conversation, in canonical event order. */
export interface CastBallot {
  /** Eligible-voter id (whatever id the conversation uses for members). */
  voter: string;
  ballot: Ballot;
}

/** Rules a ballot must satisfy to be counted; they come from the method's parameters. */
export interface BallotRules {
  /** Inclusive integer range of a score ballot. Default 0..10. */
  score: { min: number; max: number };
  /** Maximum total dots per voter. Default 10. */
  dotBudget: number;
  /** RSVP capacity (confirmed places), or null for no limit. Default null. */
  capacity: number | null;
}

export interface TallyInput {
  /** Option ids in genesis order (may be empty for a yes/no question). */
  options: readonly string[];
  /** Eligible voter ids. */
  members: readonly string[];
  /** Already-validated ballots in canonical event order (the DAG's deterministic order). */
  ballots: readonly CastBallot[];
  /** Evaluation time, milliseconds since the Unix epoch. Core has no clock: it is passed in. */
  now: number;
  /** Deadline, milliseconds since the Unix epoch, or null. Reached when now >= deadline. */
  deadline: number | null;
  /**
   * Tie-break seed, e.g. the conversation id in hex. With a seed, ties are broken by
   * SHA-256(label, seed, option); without, by lexicographic option id.
   */
  seed?: string | null;
  rules?: Partial<BallotRules>;
  /** Ballot kinds this conversation counts; others are ignored (reported in `ignored`). */
  accept?: readonly BallotKind[] | null;
}

export type IgnoredReason =
  | 'not-a-member'
  | 'kind-not-accepted'
  | 'malformed'
  | 'unknown-option'
  | 'duplicate-option'
  | 'score-out-of-range'
  | 'over-budget'
  | 'reason-too-long';

export interface IgnoredBallot {
  /** Position in TallyInput.ballots. */
  index: number;
  voter: string;
  reason: IgnoredReason;
}

export interface IrvRound {
  /** Votes per continuing option, in tally option order. */
  counts: Record<string, number>;
  /** Ballots whose ranked options have all been eliminated. */
  exhausted: number;
  /** Option eliminated at the end of this round, or null in the last round. */
  eliminated: string | null;
}

export interface Tally {
  version: 1;
  options: string[];
  /** Members sorted by id (their order in the input does not matter). */
  members: string[];
  /** Total priority order of the options used by every tie-break: earlier wins. */
  tieOrder: string[];
  now: number;
  deadline: number | null;
  deadlinePassed: boolean;
  eligible: number;
  /** Members with a current (counted, not withdrawn) ballot, sorted. */
  voters: string[];
  turnout: number;
  /** eligible - turnout. */
  remaining: number;
  ignored: IgnoredBallot[];
  /** Current ballot per voter, keys sorted. */
  ballots: Record<string, Ballot>;
  /** Number of current ballots per kind (every kind present, 0 if none). */
  kinds: Record<BallotKind, number>;
  yesNo: { yes: number; no: number; abstain: number };
  /** Choice ballots per option. */
  choices: Record<string, number>;
  approvals: Record<string, number>;
  /** Score totals (missing options count as the minimum score). */
  scores: Record<string, number>;
  dots: Record<string, number>;
  /** Distinct rankings with how many voters cast each, most common first. */
  rankings: { ranking: string[]; count: number }[];
  /** pairwise[a][b]: voters who rank a above b. */
  pairwise: Record<string, Record<string, number>>;
  irv: { rounds: IrvRound[]; winner: string | null };
  schulze: { strongest: Record<string, Record<string, number>>; winners: string[]; winner: string | null };
  borda: { scores: Record<string, number>; winner: string | null };
  /** Single winner per counting rule, null if there is none. */
  winners: {
    plurality: string | null;
    approval: string | null;
    score: string | null;
    dots: string | null;
    borda: string | null;
    irv: string | null;
    schulze: string | null;
    condorcet: string | null;
  };
  objections: { voter: string; reason: string }[];
  blocks: { voter: string; reason: string }[];
  acks: string[];
  rsvp: {
    yes: number;
    no: number;
    maybe: number;
    capacity: number | null;
    /** The first `capacity` yes answers in event order of their current ballot. */
    confirmed: string[];
    waitlist: string[];
  };
  apache: {
    binding: { plus: number; zero: number; minus: number };
    all: { plus: number; zero: number; minus: number };
  };
  rules: BallotRules;
}

/** Why a method's result is (or is not yet) final. */
export type DoneReason = 'decided' | 'all-voted' | 'deadline' | 'pending';

export interface MethodResult {
  /** Whether the proposal passed; winner methods: a winner exists. Provisional while not done. */
  passed: boolean;
  /** Single-winner methods only. */
  winner?: string | null;
  reason: DoneReason;
  /** Custom (CEL) rules: the evaluation error, if the rule failed at run time. */
  error?: string;
}

export interface MethodOutcome {
  done: boolean;
  result: MethodResult;
}
