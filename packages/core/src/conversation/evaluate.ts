/**
 * Evaluation (docs/DESIGN.md §8): the accepted events in canonical order -> ballots in the consensus
 * module's form -> tally -> method -> { done, result, heads }. Pure: the same genesis, events
 * and `now` give the same evaluation, byte for byte, on every member's machine.
 *
 * Counting follows the membership replayed in canonical order (membership.ts): a ballot whose
 * author is not a member at its place in the order is skipped, and a removal clears the removed
 * member's ballots. Ballots of kinds the method does not count (a proposal's objections under a
 * yes/no method) are recorded in the conversation but not given to the tally.
 */
import { type CanonicalValue, encodeCanonical } from '../codec.ts';
import { type Ballot, type CastBallot, type MethodResult, type Tally, tally } from '../consensus/index.ts';
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
import { HASH } from '../labels.ts';
import { addAll, ConversationDag } from './dag.ts';
import type { ConversationEvent } from './event.ts';
import type { Genesis } from './genesis.ts';
import { compareHex, type ConversationId, contentId, type EventId } from './ids.ts';
import { applyMembership, isMembershipKind } from './membership.ts';
import { VOTE_KIND } from './rules.ts';

export interface SkippedBallot {
  event: EventId;
  voter: string;
  /** 'not-a-member': cast after the author's removal in canonical order; 'removed': cleared by it. */
  reason: 'not-a-member' | 'removed';
}

export interface Evaluation {
  conversation: ConversationId;
  /** The `now` evaluated at (ms since the epoch). */
  now: number;
  /** The method's predicate: when true, an outcome may be recorded. */
  done: boolean;
  result: MethodResult;
  method: string;
  /** Heads of the evaluated events, ascending (the conversation id when there are none). */
  heads: EventId[];
  /** Number of events evaluated. */
  events: number;
  /** Eligible members after the last membership change, sorted. */
  members: string[];
  tally: Tally;
  /** Hex SHA-256 of the canonical tally (HASH.CONVERSATION_TALLY). */
  tallyDigest: string;
  skipped: SkippedBallot[];
}

/** The plain JSON form (drops undefined fields) that is hashed and signed. */
export function canonicalJson(value: unknown): CanonicalValue {
  return JSON.parse(JSON.stringify(value)) as CanonicalValue;
}

export function tallyDigest(t: Tally, backend: CryptoBackend = defaultBackend()): string {
  return contentId(HASH.CONVERSATION_TALLY, encodeCanonical(canonicalJson(t)), backend);
}

/** The ballot an event casts, if any: a `vote`, or one implied by the pattern. */
export function ballotOf(genesis: Genesis, event: ConversationEvent): Ballot | null {
  if (event.kind === VOTE_KIND) return event.body.ballot as unknown as Ballot;
  return genesis.patternImpl.impliedBallot?.(event) ?? null;
}

/** Evaluates every event of a DAG at `now`. */
export function evaluateDag(
  dag: ConversationDag,
  now: number,
  backend: CryptoBackend = defaultBackend(),
): Evaluation {
  const g = dag.genesis;
  const counts = new Set<string>([...g.method.accepts, 'withdraw']);
  const members = new Set(g.members);
  let cast: { voter: string; ballot: Ballot; event: EventId }[] = [];
  const skipped: SkippedBallot[] = [];
  const order = dag.ordered();
  for (const e of order) {
    if (isMembershipKind(e.kind)) {
      applyMembership(members, e);
      if (e.kind === 'member-remove') {
        const user = e.body.user as string;
        for (const c of cast)
          if (c.voter === user) skipped.push({ event: c.event, voter: user, reason: 'removed' });
        cast = cast.filter((c) => c.voter !== user);
      }
      continue;
    }
    const ballot = ballotOf(g, e);
    if (ballot === null) continue;
    if (!members.has(e.author)) {
      if (e.kind === VOTE_KIND) skipped.push({ event: e.id, voter: e.author, reason: 'not-a-member' });
      continue;
    }
    if (counts.has(ballot.kind)) cast.push({ voter: e.author, ballot, event: e.id });
  }
  const sortedMembers = [...members].sort(compareHex);
  const t = tally({
    options: g.options,
    members: sortedMembers,
    ballots: cast.map(({ voter, ballot }): CastBallot => ({ voter, ballot })),
    now,
    deadline: g.deadline,
    seed: g.id,
    rules: g.rules,
    accept: g.method.accepts,
  });
  const outcome = g.method.evaluate(t);
  return {
    conversation: g.id,
    now,
    done: outcome.done,
    result: canonicalJson(outcome.result) as unknown as MethodResult,
    method: g.method.method,
    heads: dag.heads(),
    events: order.length,
    members: sortedMembers,
    tally: t,
    tallyDigest: tallyDigest(t, backend),
    skipped,
  };
}

/**
 * Evaluates a conversation from its genesis and accepted events (any order) at `now`.
 * Throws CONVERSATION_MISSING_PARENTS if an event's parent is absent, or the KithError of an
 * event that breaks a rule (accepted events never do).
 */
export function evaluate(
  genesis: Genesis,
  events: Iterable<ConversationEvent>,
  now: number,
  backend: CryptoBackend = defaultBackend(),
): Evaluation {
  const dag = new ConversationDag(genesis);
  const r = addAll(dag, events);
  if (r.refused.length > 0) throw r.refused[0]!.error;
  if (r.pending.length > 0)
    throw new KithError(
      'CONVERSATION_MISSING_PARENTS',
      `${r.pending.length} events wait for missing parents.`,
    );
  return evaluateDag(dag, now, backend);
}
