/**
 * The contract of a message pattern (docs/DESIGN.md §8): which event kinds it has, who may post each
 * and when, how each body is shaped, and which ballots its `vote` events may carry.
 * Every check is a pure function of the event and of the events it follows (its causal past),
 * so every member gives the same verdict on the same event, whatever the arrival order.
 */
import type { TSchema } from '@sinclair/typebox';
import type { Ballot, BallotKind, BallotRules } from '../../consensus/index.ts';
import type { ConversationEvent } from '../event.ts';
import type { GenesisFields } from '../genesis.ts';

/** Who may post a kind: the creator only, a current member, or either ("participant"). */
export type Who = 'creator' | 'member' | 'participant';

/** What a rule may ask about the event being checked; everything is from its causal past. */
export interface EventContext {
  readonly genesis: GenesisFields;
  readonly patternParams: PatternParams;
  readonly event: ConversationEvent;
  readonly isCreator: boolean;
  /** Member in the membership of the event's causal past. */
  readonly isMember: boolean;
  /** Debate round reached in the event's causal past (1 when there are no rounds). */
  readonly round: number;
  /** Whether an event of this kind precedes (is an ancestor of) the event. */
  precededBy(kind: string): boolean;
  /** The referenced event, if it precedes the event and has one of `kinds`; else CONVERSATION_BAD_TARGET. */
  target(id: string, kinds: readonly string[]): ConversationEvent;
}

export interface KindRule {
  readonly who: Who;
  /** typebox schema of the body (a map). */
  readonly body: TSchema;
  /** Further checks; throw a KithError. `body` already matches the schema. */
  check?(body: Record<string, unknown>, ctx: EventContext): void;
}

export type PatternParams = Readonly<Record<string, unknown>>;

export interface Pattern {
  readonly name: string;
  /** Pattern-specific kinds; `vote`, `member-add` and `member-remove` are common to all patterns. */
  readonly kinds: Readonly<Record<string, KindRule>>;
  /** Ballot kinds a `vote` may carry (a `withdraw` is always allowed). */
  readonly ballotKinds: readonly BallotKind[];
  /** Ballot kinds accepted and shown even when the method does not count them (objections, blocks). */
  readonly recordedBallotKinds: readonly BallotKind[];
  /** Checks and normalises the params from the genesis; throws CONVERSATION_BAD_PATTERN_PARAMS. */
  validateParams(raw: unknown): PatternParams;
  /** Checks that the genesis suits the pattern (options, method); throws. */
  checkGenesis?(genesis: GenesisFields, params: PatternParams, methodRules: Partial<BallotRules>): void;
  /** Ballot rules the pattern adds (an invitation's capacity). */
  rules?(params: PatternParams): Partial<BallotRules>;
  /** Extra checks of a `vote` (rounds, "after the announcement"). */
  checkVote?(ballot: Ballot, ctx: EventContext): void;
  /** A ballot an event of another kind implies (the announcement counts as its author's ack). */
  impliedBallot?(event: ConversationEvent): Ballot | null;
}
