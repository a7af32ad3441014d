/**
 * Conversations at rest (docs/DESIGN.md §1 "every byte at rest is ciphertext", §9). Every item is kept
 * as its signed bytes, sealed under the device storage key with sealBox; the purpose (the AEAD's
 * associated data) names the kind and the ids of the row, so a sealed item moved to another row
 * does not open. Only ids, statuses, verdicts and times are in the clear.
 */
import type { RandomSource } from '@kith/core/crypto/index';
import { utf8 } from '@kith/core/crypto/index';
import { and, asc, count, eq, inArray, lt, max, sql } from 'drizzle-orm';
import {
  conversationEvents,
  conversationOutcomes,
  conversationPending,
  conversationUnshipped,
  conversations,
} from '@kith/db/schema';
import type { Clock } from '../components.ts';
import type { KithDb } from '@kith/db/database';
import { openBox, sealBox } from '../peer/sealed-box.ts';
import type { ConversationItemKind } from './sync.ts';

export type ConversationStatus = 'open' | 'closed';
export type OutcomeVerdict = 'accepted' | 'conflict' | 'disagree';

export interface ConversationRow {
  id: string;
  status: ConversationStatus;
  createdAt: Date;
  closedAt: Date | null;
}

export interface PendingItem {
  conversationId: string;
  kind: ConversationItemKind;
  itemId: string;
  bytes: Uint8Array;
  fromUser: string;
}

/** An item this device made, stored, and not yet known to be in the outbox. */
export interface UnshippedItem {
  conversationId: string;
  kind: ConversationItemKind;
  itemId: string;
  bytes: Uint8Array;
}

type Executor = Pick<KithDb, 'insert'>;

export interface StoredOutcome {
  outcomeId: string;
  verdict: OutcomeVerdict;
  bytes: Uint8Array;
  /** Why this device disagrees (`disagree` only). */
  note: { reason: string; detail: string } | null;
  receivedAt: Date;
}

/** AEAD purposes of sealed conversation data; each is bound to the row's ids. */
const PURPOSE = {
  genesis: 'kith/v1/seal/conversation-genesis',
  event: 'kith/v1/seal/conversation-event',
  outcome: 'kith/v1/seal/conversation-outcome',
  pending: 'kith/v1/seal/conversation-pending',
  unshipped: 'kith/v1/seal/conversation-unshipped',
  note: 'kith/v1/seal/conversation-outcome-note',
} as const;

const purpose = (p: keyof typeof PURPOSE, ...ids: string[]) => [PURPOSE[p], ...ids].join('/');

/** The storage key, or how to get it when it is asked for (a locked device has none yet). */
export type StorageKeySource = Uint8Array | (() => Uint8Array);

export class ConversationStore {
  constructor(
    private readonly db: KithDb,
    private readonly storageKeySource: StorageKeySource,
    private readonly random: RandomSource,
    private readonly clock: Clock,
  ) {}

  private get storageKey(): Uint8Array {
    const k = this.storageKeySource;
    return typeof k === 'function' ? k() : k;
  }

  private seal(p: string, bytes: Uint8Array): Uint8Array {
    return sealBox(this.storageKey, p, bytes, this.random);
  }

  private open(p: string, sealed: Uint8Array): Uint8Array {
    return openBox(this.storageKey, p, sealed);
  }

  // --- conversations ----------------------------------------------------------------------

  /** Stores a new conversation; false when it is already here. `mine`: see conversationUnshipped. */
  async insertConversation(
    id: string,
    genesis: Uint8Array,
    createdAt: number,
    mine = false,
  ): Promise<boolean> {
    if (mine)
      return this.db.transaction(async (tx) => {
        await this.markUnshipped(tx, { conversationId: id, kind: 'genesis', itemId: id, bytes: genesis });
        return this.insertConversationWith(tx, id, genesis, createdAt);
      });
    return this.insertConversationWith(this.db, id, genesis, createdAt);
  }

  private async insertConversationWith(
    ex: Executor,
    id: string,
    genesis: Uint8Array,
    createdAt: number,
  ): Promise<boolean> {
    const rows = await ex
      .insert(conversations)
      .values({
        id,
        status: 'open',
        genesisSealed: this.seal(purpose('genesis', id), genesis),
        createdAt: new Date(createdAt),
      })
      .onConflictDoNothing()
      .returning({ id: conversations.id });
    return rows.length > 0;
  }

  async conversation(id: string): Promise<(ConversationRow & { genesis: Uint8Array }) | undefined> {
    const rows = await this.db.select().from(conversations).where(eq(conversations.id, id)).limit(1);
    const row = rows[0];
    if (!row) return undefined;
    return { ...toRow(row), genesis: this.open(purpose('genesis', id), row.genesisSealed) };
  }

  async list(status?: ConversationStatus): Promise<(ConversationRow & { genesis: Uint8Array })[]> {
    const rows = await this.db
      .select()
      .from(conversations)
      .where(status === undefined ? undefined : eq(conversations.status, status))
      .orderBy(asc(conversations.createdAt), asc(conversations.id));
    return rows.map((row) => ({
      ...toRow(row),
      genesis: this.open(purpose('genesis', row.id), row.genesisSealed),
    }));
  }

  async ids(status?: ConversationStatus): Promise<string[]> {
    const rows = await this.db
      .select({ id: conversations.id })
      .from(conversations)
      .where(status === undefined ? undefined : eq(conversations.status, status));
    return rows.map((r) => r.id);
  }

  // --- events -----------------------------------------------------------------------------

  /** Per conversation: how many events it holds and when the latest came in (times are in the clear). */
  async activity(): Promise<Map<string, { events: number; lastAt: Date | null }>> {
    const rows = await this.db
      .select({
        id: conversationEvents.conversationId,
        events: count(),
        lastAt: max(conversationEvents.receivedAt),
      })
      .from(conversationEvents)
      .groupBy(conversationEvents.conversationId);
    return new Map(rows.map((r) => [r.id, { events: Number(r.events), lastAt: r.lastAt }]));
  }

  async events(conversationId: string): Promise<Uint8Array[]> {
    const rows = await this.db
      .select({ eventId: conversationEvents.eventId, sealed: conversationEvents.eventSealed })
      .from(conversationEvents)
      .where(eq(conversationEvents.conversationId, conversationId));
    return rows.map((r) => this.open(purpose('event', conversationId, r.eventId), r.sealed));
  }

  /** Stores events; `mine` (one event this device made): see conversationUnshipped. */
  async insertEvents(
    conversationId: string,
    events: readonly { id: string; bytes: Uint8Array }[],
    mine = false,
  ): Promise<void> {
    if (mine)
      return this.db.transaction(async (tx) => {
        for (const e of events)
          await this.markUnshipped(tx, { conversationId, kind: 'event', itemId: e.id, bytes: e.bytes });
        await this.insertEventsWith(tx, conversationId, events);
      });
    await this.insertEventsWith(this.db, conversationId, events);
  }

  private async insertEventsWith(
    ex: Executor,
    conversationId: string,
    events: readonly { id: string; bytes: Uint8Array }[],
  ): Promise<void> {
    if (events.length === 0) return;
    const at = new Date(this.clock());
    await ex
      .insert(conversationEvents)
      .values(
        events.map((e) => ({
          conversationId,
          eventId: e.id,
          eventSealed: this.seal(purpose('event', conversationId, e.id), e.bytes),
          receivedAt: at,
        })),
      )
      .onConflictDoNothing();
  }

  // --- unshipped (conversationUnshipped) ----------------------------------------------------

  private async markUnshipped(ex: Executor, item: UnshippedItem): Promise<void> {
    const { conversationId, kind, itemId } = item;
    await ex
      .insert(conversationUnshipped)
      .values({
        conversationId,
        kind,
        itemId,
        itemSealed: this.seal(purpose('unshipped', conversationId, kind, itemId), item.bytes),
        createdAt: new Date(this.clock()),
      })
      .onConflictDoNothing();
  }

  /** The outbox has it: no need to ship it again at start. */
  async shipped(conversationId: string, kind: ConversationItemKind, itemId: string): Promise<void> {
    await this.db
      .delete(conversationUnshipped)
      .where(
        and(
          eq(conversationUnshipped.conversationId, conversationId),
          eq(conversationUnshipped.kind, kind),
          eq(conversationUnshipped.itemId, itemId),
        ),
      );
  }

  /** Every item still to ship, oldest first (parents before the events built on them). */
  async unshipped(): Promise<UnshippedItem[]> {
    const rows = await this.db
      .select()
      .from(conversationUnshipped)
      .orderBy(asc(conversationUnshipped.createdAt));
    return rows.map((r) => ({
      conversationId: r.conversationId,
      kind: r.kind,
      itemId: r.itemId,
      bytes: this.open(purpose('unshipped', r.conversationId, r.kind, r.itemId), r.itemSealed),
    }));
  }

  // --- pending ----------------------------------------------------------------------------

  async addPending(item: PendingItem): Promise<void> {
    const { conversationId, kind, itemId } = item;
    await this.db
      .insert(conversationPending)
      .values({
        conversationId,
        kind,
        itemId,
        itemSealed: this.seal(purpose('pending', conversationId, kind, itemId), item.bytes),
        fromUser: item.fromUser,
        receivedAt: new Date(this.clock()),
      })
      .onConflictDoNothing();
  }

  async pending(conversationId?: string, kind?: ConversationItemKind): Promise<PendingItem[]> {
    const where = and(
      conversationId === undefined ? undefined : eq(conversationPending.conversationId, conversationId),
      kind === undefined ? undefined : eq(conversationPending.kind, kind),
    );
    const rows = await this.db
      .select()
      .from(conversationPending)
      .where(where)
      .orderBy(asc(conversationPending.receivedAt));
    return rows.map((r) => ({
      conversationId: r.conversationId,
      kind: r.kind,
      itemId: r.itemId,
      fromUser: r.fromUser,
      bytes: this.open(purpose('pending', r.conversationId, r.kind, r.itemId), r.itemSealed),
    }));
  }

  /** Pending items of one conversation, or of all when no id is given. */
  async pendingCount(conversationId?: string): Promise<number> {
    const rows = await this.db
      .select({ n: count() })
      .from(conversationPending)
      .where(
        conversationId === undefined ? undefined : eq(conversationPending.conversationId, conversationId),
      );
    return rows[0]?.n ?? 0;
  }

  /** Conversation ids with pending items (any kind). */
  async pendingConversations(): Promise<string[]> {
    const rows = await this.db
      .selectDistinct({ id: conversationPending.conversationId })
      .from(conversationPending);
    return rows.map((r) => r.id);
  }

  /** Drops pending items received before `before` (what they wait for never came). */
  async expirePending(before: Date): Promise<number> {
    const rows = await this.db
      .delete(conversationPending)
      .where(lt(conversationPending.receivedAt, before))
      .returning({ id: conversationPending.itemId });
    return rows.length;
  }

  async removePending(
    conversationId: string,
    kind: ConversationItemKind,
    itemIds: readonly string[],
  ): Promise<void> {
    if (itemIds.length === 0) return;
    await this.db
      .delete(conversationPending)
      .where(
        and(
          eq(conversationPending.conversationId, conversationId),
          eq(conversationPending.kind, kind),
          inArray(conversationPending.itemId, [...itemIds]),
        ),
      );
  }

  // --- outcomes ---------------------------------------------------------------------------

  async outcomes(conversationId: string): Promise<StoredOutcome[]> {
    const rows = await this.db
      .select()
      .from(conversationOutcomes)
      .where(eq(conversationOutcomes.conversationId, conversationId))
      .orderBy(asc(conversationOutcomes.receivedAt), asc(conversationOutcomes.outcomeId));
    return rows.map((r) => ({
      outcomeId: r.outcomeId,
      verdict: r.verdict,
      bytes: this.open(purpose('outcome', conversationId, r.outcomeId), r.outcomeSealed),
      note:
        r.noteSealed === null
          ? null
          : (JSON.parse(
              utf8.decode(this.open(purpose('note', conversationId, r.outcomeId), r.noteSealed)),
            ) as StoredOutcome['note']),
      receivedAt: r.receivedAt,
    }));
  }

  /** Keeps an outcome with its verdict; an outcome already kept is never overwritten. */
  async insertOutcome(
    conversationId: string,
    outcomeId: string,
    verdict: Exclude<OutcomeVerdict, 'accepted'>,
    bytes: Uint8Array,
    note: { reason: string; detail: string } | null = null,
  ): Promise<void> {
    await this.db
      .insert(conversationOutcomes)
      .values(this.outcomeRow(conversationId, outcomeId, verdict, bytes, note))
      .onConflictDoNothing();
  }

  private outcomeRow(
    conversationId: string,
    outcomeId: string,
    verdict: OutcomeVerdict,
    bytes: Uint8Array,
    note: { reason: string; detail: string } | null,
  ) {
    return {
      conversationId,
      outcomeId,
      verdict,
      outcomeSealed: this.seal(purpose('outcome', conversationId, outcomeId), bytes),
      noteSealed:
        note === null
          ? null
          : this.seal(purpose('note', conversationId, outcomeId), utf8.encode(JSON.stringify(note))),
      receivedAt: new Date(this.clock()),
    };
  }

  /**
   * Closes a conversation with its accepted outcome, in one transaction: the outcome, the
   * status, the final canonical positions of the evaluated events, and the removal of the
   * concurrent events it did not evaluate (refused from now on).
   */
  async close(
    conversationId: string,
    outcome: { id: string; bytes: Uint8Array },
    order: readonly string[],
    dropped: readonly string[],
    mine = false,
  ): Promise<void> {
    const now = new Date(this.clock());
    await this.db.transaction(async (tx) => {
      if (mine)
        await this.markUnshipped(tx, {
          conversationId,
          kind: 'outcome',
          itemId: outcome.id,
          bytes: outcome.bytes,
        });
      await tx
        .insert(conversationOutcomes)
        .values(this.outcomeRow(conversationId, outcome.id, 'accepted', outcome.bytes, null))
        .onConflictDoNothing();
      await tx
        .update(conversations)
        .set({ status: 'closed', closedAt: now })
        .where(eq(conversations.id, conversationId));
      if (dropped.length > 0)
        await tx
          .delete(conversationEvents)
          .where(
            and(
              eq(conversationEvents.conversationId, conversationId),
              inArray(conversationEvents.eventId, [...dropped]),
            ),
          );
      // One statement for every position (a JSON list works the same on both drivers).
      if (order.length > 0)
        await tx.execute(sql`
          update conversation_events as e set position = (v.pos - 1)::integer
          from jsonb_array_elements_text(${JSON.stringify(order)}::jsonb) with ordinality as v(id, pos)
          where e.conversation_id = ${conversationId} and e.event_id = v.id`);
    });
  }
}

function toRow(row: typeof conversations.$inferSelect): ConversationRow {
  return { id: row.id, status: row.status, createdAt: row.createdAt, closedAt: row.closedAt };
}
