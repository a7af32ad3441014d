/**
 * The messenger's queries (messaging/messenger.ts): messages, this device's epoch keys, the
 * outbox and receipts. The hot statements are built by hand in messaging/message-sql.ts.
 */
import { toHex } from '@kith/core/crypto/index';
import { and, asc, count, desc, eq, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import { epochKeys, messages, outbox, receipts } from '@kith/db/schema';
import type { KithDb } from '@kith/db/database';
import {
  type Executor,
  type ReceiptRow,
  type ReceivedMessage,
  type SentMessage,
  insertReceivedMessages,
  insertSentMessages,
  storeReceipts,
} from '../messaging/message-sql.ts';

export type EpochKeyRow = typeof epochKeys.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type ReceiptRecord = typeof receipts.$inferSelect;

/** An epoch key to store: sealed under the storage key already. */
export interface NewEpochKey {
  epochId: Uint8Array;
  conversationId: string;
  senderDevice: string;
  keySealed: Uint8Array;
  /** The erasure bucket sealing keySealed (keystore/erasure-keys.ts). */
  eraseBucket: number;
  recipients: string;
  createdAt: Date;
}

const fromHexText = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

export class MessageRepository {
  constructor(private readonly db: KithDb) {}

  // --- epoch keys -------------------------------------------------------------------------

  /** This device's newest epoch for a conversation. */
  async latestOwnEpoch(conversation: string, device: string): Promise<EpochKeyRow | undefined> {
    const [latest] = await this.db
      .select()
      .from(epochKeys)
      .where(and(eq(epochKeys.conversationId, conversation), eq(epochKeys.senderDevice, device)))
      .orderBy(desc(epochKeys.createdAt))
      .limit(1);
    return latest;
  }

  /** A new epoch of this device and, when it has targets, its key envelope in their outbox rows. */
  async insertOwnEpoch(
    epoch: NewEpochKey,
    envelope: { itemId: Uint8Array; item: Uint8Array; targets: string[] } | undefined,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.insert(epochKeys).values(epoch);
      if (envelope) {
        await tx
          .insert(outbox)
          .values(
            envelope.targets.map((t) => ({
              itemId: envelope.itemId,
              targetDevice: t,
              kind: 'epoch-key',
              item: envelope.item,
              createdAt: epoch.createdAt,
            })),
          )
          .onConflictDoNothing();
      }
    });
  }

  async epochKey(epochId: Uint8Array): Promise<EpochKeyRow | undefined> {
    const [row] = await this.db.select().from(epochKeys).where(eq(epochKeys.epochId, epochId)).limit(1);
    return row;
  }

  /** Epochs begun at or before `before` (due for erasure, secrecy-sweep.ts), oldest first. */
  async epochsBegunBefore(before: Date, limit: number): Promise<EpochKeyRow[]> {
    return this.db
      .select()
      .from(epochKeys)
      .where(lte(epochKeys.createdAt, before))
      .orderBy(asc(epochKeys.createdAt))
      .limit(limit);
  }

  /** The erasure buckets still sealing an epoch key. */
  async epochBuckets(): Promise<number[]> {
    const rows = await this.db
      .selectDistinct({ b: epochKeys.eraseBucket })
      .from(epochKeys)
      .where(isNotNull(epochKeys.eraseBucket));
    return rows.map((r) => r.b as number);
  }

  /**
   * Erases an epoch key: its messages' bodies, sealed under the storage key, are stored in the
   * same transaction that deletes the key, so no message is left unreadable to this device.
   */
  async eraseEpoch(
    epochId: Uint8Array,
    bodies: readonly { id: Uint8Array; bodySealed: Uint8Array }[],
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const b of bodies)
        await tx.update(messages).set({ bodySealed: b.bodySealed }).where(eq(messages.id, b.id));
      await tx.delete(epochKeys).where(eq(epochKeys.epochId, epochId));
    });
  }

  // --- messages ---------------------------------------------------------------------------

  /** Messages this device made, their outbox rows and epoch counts (one statement). */
  async insertSent(batch: readonly SentMessage[], sender: { device: string; user: string }): Promise<void> {
    await insertSentMessages(this.db, batch, sender);
  }

  /**
   * Received messages and epoch keys, each stored once (by id); returns the ids that were new.
   * Messages alone are one statement, atomic by itself; with keys, one transaction.
   */
  async insertReceived(
    msgs: readonly ReceivedMessage[],
    keys: readonly NewEpochKey[],
    receivedAt: number,
  ): Promise<{ messages: Uint8Array[]; epochs: Uint8Array[] }> {
    const out = { messages: [] as Uint8Array[], epochs: [] as Uint8Array[] };
    const storeMessages = async (ex: Executor) => {
      if (msgs.length === 0) return;
      out.messages = await insertReceivedMessages(ex, msgs, receivedAt);
    };
    if (keys.length === 0) {
      // One statement, atomic by itself: no transaction round trips.
      await storeMessages(this.db);
    } else {
      await this.db.transaction(async (tx) => {
        await storeMessages(tx);
        const inserted = await tx
          .insert(epochKeys)
          .values([...keys])
          .onConflictDoNothing()
          .returning({ id: epochKeys.epochId });
        out.epochs = inserted.map((r) => r.id);
      });
    }
    return out;
  }

  /** Messages under one epoch, oldest first (they arrived before their key). */
  async messagesOfEpoch(epochId: Uint8Array): Promise<MessageRow[]> {
    return this.db.select().from(messages).where(eq(messages.epochId, epochId)).orderBy(asc(messages.sentAt));
  }

  /** A conversation's messages (or all), oldest first. */
  async list(conversation: string | undefined, limit: number): Promise<MessageRow[]> {
    return this.db
      .select()
      .from(messages)
      .where(conversation ? eq(messages.conversationId, conversation) : undefined)
      .orderBy(asc(messages.sentAt), asc(messages.id))
      .limit(limit);
  }

  // --- receipts ---------------------------------------------------------------------------

  /** Receipts for items this device made, and the outbox rows their targets confirmed, ended. */
  async storeReceipts(
    rows: readonly ReceiptRow[],
    delivered: ReadonlyMap<string, readonly Uint8Array[]>,
  ): Promise<void> {
    await storeReceipts(this.db, rows, delivered);
  }

  /** Our own items that passed through this device as a relay. */
  async noteRelayed(items: Uint8Array[], device: string, at: number): Promise<void> {
    await this.db
      .insert(receipts)
      .values(items.map((itemId) => ({ itemId, device, state: 'relayed' as const, at: new Date(at) })))
      .onConflictDoNothing();
  }

  async receiptsOf(itemId: Uint8Array): Promise<ReceiptRecord[]> {
    return this.db.select().from(receipts).where(eq(receipts.itemId, itemId));
  }

  // --- outbox -----------------------------------------------------------------------------

  async outboxCount(): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(outbox);
    return Number(row?.n ?? 0);
  }

  /** The oldest undelivered items, without their bytes. */
  async outboxDue(limit: number): Promise<{ itemId: Uint8Array; targetDevice: string; kind: string }[]> {
    return this.db
      .select({
        itemId: outbox.itemId,
        targetDevice: outbox.targetDevice,
        kind: outbox.kind,
      })
      .from(outbox)
      .orderBy(asc(outbox.createdAt))
      .limit(limit);
  }

  /**
   * The bytes of outbox items by hex id: a message's from its `messages` row (as hex text: PGlite
   * parses bytea one byte at a time, see message-sql.ts), others' from the outbox.
   */
  async itemBytes(rows: { itemId: Uint8Array; kind: string }[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const ids = (kind: 'message' | 'other') => {
      const seen = new Map<string, Uint8Array>();
      for (const r of rows)
        if ((r.kind === 'message') === (kind === 'message')) seen.set(toHex(r.itemId), r.itemId);
      return [...seen.values()];
    };
    const messageIds = ids('message');
    for (let i = 0; i < messageIds.length; i += 500) {
      const found = await this.db
        .select({ id: messages.id, hex: sql<string>`encode(${messages.item}, 'hex')` })
        .from(messages)
        .where(inArray(messages.id, messageIds.slice(i, i + 500)));
      for (const f of found) out.set(toHex(f.id), fromHexText(f.hex));
    }
    const otherIds = ids('other');
    for (let i = 0; i < otherIds.length; i += 500) {
      const found = await this.db
        .selectDistinctOn([outbox.itemId], { id: outbox.itemId, item: outbox.item })
        .from(outbox)
        .where(and(inArray(outbox.itemId, otherIds.slice(i, i + 500)), isNotNull(outbox.item)));
      for (const f of found) if (f.item) out.set(toHex(f.id), f.item);
    }
    return out;
  }
}
