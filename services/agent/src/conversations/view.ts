/**
 * The JSON views of a conversation the local API returns (docs/DESIGN.md §12 `kith conversation show`):
 * plain data, times as ISO strings, ids as text. They hold what the owner of this device may
 * read (topics, texts), so they are served on the loopback API only and never logged.
 */
import type { MethodResult, Tally } from '@kith/core/consensus/index';
import type { CanonicalValue } from '@kith/core/codec';
import type { Conversation, Genesis, OutcomeRecord } from '@kith/core/conversation/index';
import { toHex } from '@kith/core/crypto/index';
import { deviceIdFromSigningKey } from '@kith/core/ids';
import type { ConversationRow, StoredOutcome } from './store.ts';

export interface ConversationSummary {
  id: string;
  topic: string;
  pattern: string;
  method: string;
  status: 'open' | 'closed';
  creator: string;
  /** Eligible members (after membership changes when the conversation is loaded). */
  members: string[];
  options: string[];
  deadline: string | null;
  createdAt: string;
  closedAt: string | null;
  /** This device signed the genesis (its worker records the outcome first). */
  createdHere: boolean;
}

/** A conversation in the list, with its activity (for "new" counts in the web UI). */
export interface ConversationListItem extends ConversationSummary {
  /** Events held here (posts, votes, acknowledgements, …). */
  events: number;
  /** When the latest of them came in here (the creation time when none has). */
  lastActivityAt: string;
}

export interface OutcomeView {
  id: string;
  result: MethodResult;
  heads: string[];
  events: number;
  evaluatedAt: string;
  by: { userId: string; deviceId: string };
  tallyDigest: string;
}

export interface TimelineEntry {
  id: string;
  author: string;
  kind: string;
  createdAt: string;
  body: Readonly<Record<string, CanonicalValue>>;
}

export interface ConversationView extends ConversationSummary {
  patternParams: Readonly<Record<string, CanonicalValue>>;
  params: CanonicalValue;
  /** The custom CEL rule (`--rule`), when the method is `cel`. */
  rule: string | null;
  membership: string;
  /** Accepted events. */
  events: number;
  heads: string[];
  /** Items received before what they need (parents, genesis). */
  pending: number;
  /** Whether the method is satisfied now (open), or was when the outcome was evaluated. */
  done: boolean;
  /** The result now (provisional while open), or the outcome's evaluation. */
  result: MethodResult;
  tally: Tally;
  outcome: OutcomeView | null;
  /** Valid outcomes for other heads that arrived after the one that closed it. */
  conflicts: OutcomeView[];
  /** Outcomes whose re-evaluation here disagrees; never taken. */
  disagreements: (OutcomeView & { reason: string; detail: string; receivedAt: string })[];
  timeline: TimelineEntry[];
}

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function summaryOf(
  genesis: Genesis,
  row: ConversationRow,
  deviceKey: Uint8Array,
  members: string[] = [...genesis.members],
): ConversationSummary {
  return {
    id: genesis.id,
    topic: genesis.topic,
    pattern: genesis.pattern.name,
    method: genesis.consensus.method,
    status: row.status,
    creator: genesis.creator,
    members,
    options: [...genesis.options],
    deadline: iso(genesis.deadline),
    createdAt: new Date(genesis.createdAt).toISOString(),
    closedAt: row.closedAt === null ? null : row.closedAt.toISOString(),
    createdHere: toHex(genesis.device) === toHex(deviceKey),
  };
}

export function outcomeView(o: OutcomeRecord): OutcomeView {
  return {
    id: o.id,
    result: o.result,
    heads: [...o.heads],
    events: o.events,
    evaluatedAt: new Date(o.evaluatedAt).toISOString(),
    by: { userId: o.author, deviceId: deviceIdFromSigningKey(o.device) },
    tallyDigest: o.tallyDigest,
  };
}

export function ruleOf(genesis: Genesis): string | null {
  const p = genesis.consensus.params;
  if (genesis.consensus.method !== 'cel' || typeof p !== 'object' || p === null || Array.isArray(p))
    return null;
  const done = (p as Record<string, CanonicalValue>).done;
  return typeof done === 'string' ? done : null;
}

export function conversationView(
  c: Conversation,
  row: ConversationRow,
  deviceKey: Uint8Array,
  now: number,
  disagreements: readonly { outcome: OutcomeRecord; stored: StoredOutcome }[],
  pending: number,
): ConversationView {
  const g = c.genesis;
  const outcome = c.outcome;
  const evaluation = c.evaluate(outcome === null ? now : outcome.evaluatedAt);
  return {
    ...summaryOf(g, row, deviceKey, c.members()),
    patternParams: g.pattern.params,
    params: g.consensus.params,
    rule: ruleOf(g),
    membership: g.membership,
    events: c.size,
    heads: c.heads(),
    pending,
    done: evaluation.done,
    result: evaluation.result,
    tally: evaluation.tally,
    outcome: outcome === null ? null : outcomeView(outcome),
    conflicts: c.conflicts.map(outcomeView),
    disagreements: disagreements.map(({ outcome: o, stored: s }) => ({
      ...outcomeView(o),
      reason: s.note?.reason ?? 'unknown',
      detail: s.note?.detail ?? '',
      receivedAt: s.receivedAt.toISOString(),
    })),
    timeline: c.events().map((e) => ({
      id: e.id,
      author: e.author,
      kind: e.kind,
      createdAt: new Date(e.createdAt).toISOString(),
      body: e.body,
    })),
  };
}
