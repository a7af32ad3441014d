/**
 * What the archivist seals (docs/ARCHITECTURE.md "Archive encryption and retrieval"): one
 * transcript per conversation this device has — direct conversations of the messenger and group
 * conversations of ConversationService — built from what this device can read. Plain data here;
 * the archivist encodes and seals it (never stored or logged in the clear).
 */
import { deviceIdFromSigningKey } from '@kith/core/ids';
import { openEvent } from '@kith/core/conversation/index';
import { directConversationId } from '@kith/core/messaging/direct-conversation';
import type { RandomSource } from '@kith/core/crypto/index';
import { count, max } from 'drizzle-orm';
import { conversationEvents, messages } from '@kith/db/schema';
import type { Clock } from '../components.ts';
import type { ConversationService } from '../conversations/service.ts';
import { ConversationStore, type StorageKeySource } from '../conversations/store.ts';
import type { KithDb } from '@kith/db/database';
import type { Messenger } from '../messaging/messenger.ts';
import type { PeerNode } from '../peer/peer-node.ts';

export interface TranscriptMessage {
  /** Item id (direct) or event id (group), hex. */
  id: string;
  from: string;
  device: string;
  sentAt: number;
  text: string;
}

export interface TranscriptData {
  v: 1;
  conversation: string;
  topic: string;
  kind: 'direct' | 'group';
  members: string[];
  closedAt: number | null;
  messages: TranscriptMessage[];
  /** Group conversations: the signed genesis, events and accepted outcome, as stored. */
  events?: Uint8Array[];
}

export interface ConversationSummary {
  id: string;
  kind: 'direct' | 'group';
  /** Newest activity (ms) as far as the tables tell without opening anything. */
  lastActivity: number;
  /** Changes whenever the transcript may have changed. */
  marker: string;
  members?: string[];
  group?: Awaited<ReturnType<ConversationService['list']>>[number];
}

export interface ConversationSnapshot {
  transcript: TranscriptData;
  /** Newest activity (message, event or close), ms: the age a conversation moves to history by. */
  lastActivity: number;
}

/** A transcript holds at most this many messages (the newest); the envelope caps the bytes too. */
export const TRANSCRIPT_MAX_MESSAGES = 20_000;

export class TranscriptSource {
  private readonly store: ConversationStore;

  constructor(
    private readonly node: PeerNode,
    private readonly messenger: Messenger,
    private readonly conversations: ConversationService,
    options: { db: KithDb; storageKey: StorageKeySource; random: RandomSource; clock: Clock },
  ) {
    // A second reader over the same sealed tables (the service keeps its own for writing).
    this.store = new ConversationStore(options.db, options.storageKey, options.random, options.clock);
  }

  private get db() {
    return this.node.options.components.db.db;
  }

  /**
   * Every conversation this device has, cheaply (SQL counts, nothing opened): its newest
   * activity and a marker that changes whenever its transcript may have (a new message, event
   * or close), so an unchanged conversation is not even rebuilt.
   */
  async summaries(): Promise<ConversationSummary[]> {
    const activity = new Map<string, { last: number; rows: number }>();
    const rows = await this.db
      .select({ id: messages.conversationId, last: max(messages.sentAt), rows: count() })
      .from(messages)
      .groupBy(messages.conversationId);
    for (const r of rows)
      if (r.last) activity.set(r.id, { last: new Date(r.last).getTime(), rows: Number(r.rows) });
    // Restored messages (a recovery) count too: their conversation is sealed again to today's devices.
    for (const [id, r] of await this.messenger.restoredActivity()) {
      const a = activity.get(id);
      activity.set(id, { last: Math.max(a?.last ?? 0, r.last), rows: (a?.rows ?? 0) + r.rows });
    }
    const events = new Map<string, number>();
    for (const r of await this.db
      .select({ id: conversationEvents.conversationId, n: count() })
      .from(conversationEvents)
      .groupBy(conversationEvents.conversationId))
      events.set(r.id, Number(r.n));
    const out: ConversationSummary[] = [];
    const groups = await this.conversations.list();
    for (const g of groups) {
      const a = activity.get(g.id);
      const closedAt = g.closedAt === null ? null : Date.parse(g.closedAt);
      out.push({
        id: g.id,
        kind: 'group',
        lastActivity: Math.max(Date.parse(g.createdAt), a?.last ?? 0, closedAt ?? 0),
        marker: `g:${a?.rows ?? 0}:${a?.last ?? 0}:${events.get(g.id) ?? 0}:${g.status}:${closedAt ?? ''}`,
        group: g,
      });
    }
    const groupIds = new Set(groups.map((g) => g.id));
    for (const [id, members] of await this.directConversations()) {
      const a = activity.get(id);
      if (groupIds.has(id) || !a) continue;
      out.push({ id, kind: 'direct', lastActivity: a.last, marker: `d:${a.rows}:${a.last}`, members });
    }
    return out.sort((x, y) => (x.id < y.id ? -1 : 1));
  }

  /** The transcript of one conversation (undefined when there is nothing to archive). */
  async build(summary: ConversationSummary): Promise<ConversationSnapshot | undefined> {
    return summary.kind === 'group'
      ? this.group(summary.group!, summary.lastActivity)
      : this.direct(summary.id, summary.members ?? [], summary.lastActivity);
  }

  /** Every conversation's transcript. */
  async snapshots(): Promise<ConversationSnapshot[]> {
    const out: ConversationSnapshot[] = [];
    for (const summary of await this.summaries()) {
      const snapshot = await this.build(summary);
      if (snapshot) out.push(snapshot);
    }
    return out;
  }

  /** The ids of every conversation this device has (cheap: no transcript is built). */
  async conversationIds(): Promise<string[]> {
    const rows = await this.db.selectDistinct({ id: messages.conversationId }).from(messages);
    const ids = new Set(rows.map((r) => r.id));
    for (const g of await this.conversations.list()) ids.add(g.id);
    return [...ids];
  }

  /** Direct conversation id -> [me, friend] (and the note-to-self conversation). */
  private async directConversations(): Promise<Map<string, string[]>> {
    const me = this.node.userId;
    const out = new Map<string, string[]>();
    out.set(directConversationId(me, me), [me]);
    for (const f of await this.node.friends.list())
      out.set(directConversationId(me, f.userId), [me, f.userId].sort());
    return out;
  }

  private async direct(
    id: string,
    members: string[],
    last: number | undefined,
  ): Promise<ConversationSnapshot | undefined> {
    if (last === undefined) return undefined;
    const views = await this.messenger.list(id, TRANSCRIPT_MAX_MESSAGES);
    if (views.length === 0) return undefined;
    const friend = members.find((m) => m !== this.node.userId);
    const name = friend ? (await this.node.friends.list()).find((f) => f.userId === friend)?.name : null;
    return {
      lastActivity: last,
      transcript: {
        v: 1,
        conversation: id,
        topic: friend ? (name ?? '') : 'notes',
        kind: 'direct',
        members,
        closedAt: null,
        messages: views.map((m) => ({
          id: m.id,
          from: m.from,
          device: m.fromDevice,
          sentAt: Date.parse(m.sentAt),
          text: m.text,
        })),
      },
    };
  }

  private async group(
    g: Awaited<ReturnType<ConversationService['list']>>[number],
    lastMessage: number | undefined,
  ): Promise<ConversationSnapshot | undefined> {
    const row = await this.store.conversation(g.id);
    if (!row) return undefined;
    const events = await this.store.events(g.id);
    const outcomes = (await this.store.outcomes(g.id)).filter((o) => o.verdict === 'accepted');
    const texts: TranscriptMessage[] = [];
    let last = Math.max(row.createdAt.getTime(), lastMessage ?? 0, row.closedAt?.getTime() ?? 0);
    for (const bytes of events) {
      const e = openEvent(bytes);
      last = Math.max(last, e.createdAt);
      const text = e.body.text;
      if (typeof text !== 'string') continue;
      texts.push({
        id: e.id,
        from: e.author,
        device: deviceIdFromSigningKey(e.device),
        sentAt: e.createdAt,
        text,
      });
    }
    texts.sort((a, b) => a.sentAt - b.sentAt || (a.id < b.id ? -1 : 1));
    // Canonical order for the stored events too, so an unchanged conversation seals the same bytes.
    const sortedEvents = [...events].sort(compareBytes);
    return {
      lastActivity: last,
      transcript: {
        v: 1,
        conversation: g.id,
        topic: g.topic,
        kind: 'group',
        members: [...g.members].sort(),
        closedAt: row.closedAt?.getTime() ?? null,
        messages: texts.slice(-TRANSCRIPT_MAX_MESSAGES),
        events: [row.genesis, ...sortedEvents, ...outcomes.map((o) => o.bytes)],
      },
    };
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
