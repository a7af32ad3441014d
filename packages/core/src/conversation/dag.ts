/**
 * The hash-linked event DAG of one conversation (docs/DESIGN.md §8). Events are added only when every
 * parent is known (else CONVERSATION_MISSING_PARENTS: callers buffer and retry) and when they
 * follow the rules given their causal past (rules.ts), so the set of accepted events, and every
 * verdict, is the same on every member's machine whatever the arrival order.
 *
 * Canonical evaluation order: by depth (1 + the greatest depth of the parents; the genesis is 0),
 * ties broken by event id bytes. It is a topological order, and it restricted to any set of
 * events closed under "parent of" is that set's own canonical order, so the state of an event's
 * causal past is a prefix replay.
 */
import { KithError } from '../errors.ts';
import type { ConversationEvent } from './event.ts';
import type { Genesis } from './genesis.ts';
import { compareHex, type EventId } from './ids.ts';
import { CONVERSATION_LIMITS } from './limits.ts';
import { applyMembership, isMembershipKind, replayMembership } from './membership.ts';
import { checkEventRules, type RuleContext } from './rules.ts';

interface Node {
  readonly event: ConversationEvent | null;
  readonly depth: number;
  /** Membership events in the causal past, this one included, in canonical order. */
  readonly membershipLog: readonly ConversationEvent[];
  /** Kinds of this event and of every event before it. */
  readonly kinds: ReadonlySet<string>;
  /** Debate round reached (1 without rounds). */
  readonly round: number;
}

interface PastState {
  depth: number;
  membershipLog: readonly ConversationEvent[];
  kinds: ReadonlySet<string>;
  round: number;
}

export class ConversationDag {
  readonly genesis: Genesis;
  private readonly nodes = new Map<EventId, Node>();
  private readonly headSet = new Set<EventId>();
  private orderCache: ConversationEvent[] | null = null;
  private readonly membersCache = new WeakMap<readonly ConversationEvent[], ReadonlySet<string>>();
  private readonly root: Node;

  constructor(genesis: Genesis) {
    this.genesis = genesis;
    this.root = { event: null, depth: 0, membershipLog: [], kinds: new Set(), round: 1 };
    this.membersCache.set(this.root.membershipLog, new Set(genesis.members));
  }

  get size(): number {
    return this.nodes.size;
  }

  has(id: EventId): boolean {
    return this.nodes.has(id);
  }

  get(id: EventId): ConversationEvent | undefined {
    return this.nodes.get(id)?.event ?? undefined;
  }

  /** Parents of `event` this DAG does not hold yet. */
  missingParents(event: ConversationEvent): EventId[] {
    return event.parents.filter((p) => p !== this.genesis.id && !this.nodes.has(p));
  }

  /** The events nothing follows yet, ascending; the conversation id while there are none. */
  heads(): EventId[] {
    if (this.headSet.size === 0) return [this.genesis.id];
    return [...this.headSet].sort(compareHex);
  }

  /** Every event in canonical order. */
  ordered(): readonly ConversationEvent[] {
    if (this.orderCache === null) {
      const all = [...this.nodes.entries()];
      all.sort(([a, x], [b, y]) => x.depth - y.depth || compareHex(a, b));
      this.orderCache = all.map(([, n]) => n.event!);
    }
    return this.orderCache;
  }

  /** The given events and everything before them (the genesis id is ignored). */
  ancestry(ids: readonly EventId[]): Set<EventId> {
    const seen = new Set<EventId>();
    const stack = ids.filter((id) => id !== this.genesis.id);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      const node = this.nodes.get(id);
      if (!node) throw new KithError('CONVERSATION_MISSING_PARENTS', 'An event named there is not known.');
      seen.add(id);
      for (const p of node.event!.parents) if (p !== this.genesis.id && !seen.has(p)) stack.push(p);
    }
    return seen;
  }

  /** Whether `target` precedes an event with these parents (search pruned by depth). */
  private precedes(target: EventId, parents: readonly EventId[]): boolean {
    const t = this.nodes.get(target);
    if (!t) return false;
    const seen = new Set<EventId>();
    const stack = [...parents];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (id === target) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      const node = this.nodes.get(id);
      if (!node || node.depth <= t.depth) continue;
      stack.push(...node.event!.parents);
    }
    return false;
  }

  private members(log: readonly ConversationEvent[]): ReadonlySet<string> {
    let members = this.membersCache.get(log);
    if (members === undefined) {
      members = replayMembership(this.genesis, log);
      this.membersCache.set(log, members);
    }
    return members;
  }

  private merge(parents: readonly Node[]): PastState {
    const first = parents[0]!;
    let depth = 0;
    let round = 1;
    let sameLog = true;
    let sameKinds = true;
    for (const p of parents) {
      depth = Math.max(depth, p.depth);
      round = Math.max(round, p.round);
      sameLog &&= p.membershipLog === first.membershipLog;
      sameKinds &&= p.kinds === first.kinds;
    }
    let membershipLog = first.membershipLog;
    if (!sameLog) {
      const union = new Map<EventId, ConversationEvent>();
      for (const p of parents) for (const e of p.membershipLog) union.set(e.id, e);
      membershipLog = [...union.values()].sort(
        (a, b) => this.nodes.get(a.id)!.depth - this.nodes.get(b.id)!.depth || compareHex(a.id, b.id),
      );
    }
    let kinds = first.kinds;
    if (!sameKinds) kinds = new Set(parents.flatMap((p) => [...p.kinds]));
    return { depth: depth + 1, membershipLog, kinds, round };
  }

  /** Checks `event` against the rules and its causal past; returns its node or throws a KithError. */
  private nodeFor(event: ConversationEvent): Node {
    const g = this.genesis;
    if (event.conversation !== g.id)
      throw new KithError('CONVERSATION_WRONG_CONVERSATION', 'Its conversation id is another.');
    if (event.parents.length === 0)
      throw new KithError('CONVERSATION_BAD_PARENTS', 'An event follows at least the genesis.');
    if (event.parents.includes(g.id) && event.parents.length > 1)
      throw new KithError('CONVERSATION_BAD_PARENTS', 'Only a first event names the genesis, and alone.');
    const missing = this.missingParents(event);
    if (missing.length > 0)
      throw new KithError(
        'CONVERSATION_MISSING_PARENTS',
        `${missing.length} of its parents are not known yet.`,
      );
    if (this.nodes.size >= CONVERSATION_LIMITS.maxEvents)
      throw new KithError('CONVERSATION_TOO_LARGE', `At most ${CONVERSATION_LIMITS.maxEvents} events.`);
    const parents = event.parents.map((p) => (p === g.id ? this.root : this.nodes.get(p)!));
    // The usual case: the event follows every head, so every known event precedes it.
    const followsAll =
      event.parents.length === Math.max(1, this.headSet.size) &&
      (this.headSet.size === 0 || event.parents.every((p) => this.headSet.has(p)));
    const past = this.merge(parents);
    const members = this.members(past.membershipLog);
    const ctx: RuleContext = {
      genesis: g,
      patternParams: g.patternParams,
      event,
      isCreator: event.author === g.creator,
      isMember: members.has(event.author),
      members,
      round: past.round,
      precededBy: (kind) => past.kinds.has(kind),
      target: (id, kinds) => {
        const target = this.nodes.get(id)?.event;
        if (!target || !kinds.includes(target.kind) || !(followsAll || this.precedes(id, event.parents)))
          throw new KithError(
            'CONVERSATION_BAD_TARGET',
            `It must name an earlier event of kind ${kinds.map((k) => `"${k}"`).join(' or ')}.`,
          );
        return target;
      },
    };
    checkEventRules(ctx);
    let membershipLog = past.membershipLog;
    if (isMembershipKind(event.kind)) {
      membershipLog = [...past.membershipLog, event];
      const next = new Set(members);
      applyMembership(next, event);
      this.membersCache.set(membershipLog, next);
    }
    const kinds = past.kinds.has(event.kind) ? past.kinds : new Set([...past.kinds, event.kind]);
    const round = event.kind === 'next-round' ? Math.max(past.round, event.body.round as number) : past.round;
    return { event, depth: past.depth, membershipLog, kinds, round };
  }

  /** Throws the KithError the event would be refused with; adds nothing. */
  check(event: ConversationEvent): void {
    if (!this.nodes.has(event.id)) this.nodeFor(event);
  }

  /** Adds an event (opened with openEvent) after checking it; 'duplicate' if already held. */
  add(event: ConversationEvent): 'added' | 'duplicate' {
    if (this.nodes.has(event.id)) return 'duplicate';
    const node = this.nodeFor(event);
    this.nodes.set(event.id, node);
    for (const p of event.parents) this.headSet.delete(p);
    this.headSet.add(event.id);
    this.orderCache = null;
    return 'added';
  }

  /** Membership when every event is replayed in canonical order. */
  currentMembers(): Set<string> {
    const members = new Set(this.genesis.members);
    for (const e of this.ordered()) if (isMembershipKind(e.kind)) applyMembership(members, e);
    return members;
  }
}

export interface AddAllResult {
  added: EventId[];
  duplicates: EventId[];
  /** Still missing a parent after every other event was tried. */
  pending: ConversationEvent[];
  refused: { event: ConversationEvent; error: KithError }[];
}

/**
 * Adds events given in any order: each waits until its parents are in, so the result does not
 * depend on the order. Events that break a rule are refused (with the error), as are their
 * descendants (which then miss a parent and stay pending).
 */
export function addAll(dag: ConversationDag, events: Iterable<ConversationEvent>): AddAllResult {
  const result: AddAllResult = { added: [], duplicates: [], pending: [], refused: [] };
  const waiting = new Map<EventId, ConversationEvent[]>();
  const blockedBy = new Map<EventId, { event: ConversationEvent; left: number }>();
  const ready: ConversationEvent[] = [];
  const seen = new Set<EventId>();
  for (const e of events) {
    if (seen.has(e.id) || dag.has(e.id)) {
      result.duplicates.push(e.id);
      continue;
    }
    seen.add(e.id);
    const missing = dag.missingParents(e);
    if (missing.length === 0) ready.push(e);
    else {
      blockedBy.set(e.id, { event: e, left: missing.length });
      for (const p of missing) {
        const list = waiting.get(p);
        if (list) list.push(e);
        else waiting.set(p, [e]);
      }
    }
  }
  while (ready.length > 0) {
    const e = ready.pop()!;
    try {
      dag.add(e);
    } catch (error) {
      if (!(error instanceof KithError)) throw error;
      result.refused.push({ event: e, error });
      continue;
    }
    result.added.push(e.id);
    for (const child of waiting.get(e.id) ?? []) {
      const b = blockedBy.get(child.id)!;
      b.left -= 1;
      if (b.left === 0) ready.push(child);
    }
    waiting.delete(e.id);
  }
  for (const b of blockedBy.values()) if (b.left > 0) result.pending.push(b.event);
  return result;
}
