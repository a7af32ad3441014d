import { index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { bytea } from './bytea.ts';

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Messages this device can read (issue "Network agent II"), stored as received: sealed under
 * the sender's epoch key, so the table holds ciphertext only. `id` is the item id.
 */
export const messages = pgTable(
  'messages',
  {
    id: bytea('id').primaryKey(),
    conversationId: text('conversation_id').notNull(),
    senderDevice: text('sender_device').notNull(),
    senderUser: text('sender_user').notNull(),
    epochId: bytea('epoch_id').notNull(),
    sentAt: instant('sent_at').notNull(),
    receivedAt: instant('received_at').notNull(),
    item: bytea('item').notNull(),
    /**
     * The text, sealed under the device storage key, once the epoch key is erased (forward
     * secrecy, messaging/secrecy-sweep.ts); null while the epoch key still opens `item`.
     */
    bodySealed: bytea('body_sealed'),
  },
  (t) => [index('messages_conversation').on(t.conversationId, t.sentAt)],
);

/** Epoch keys (docs/DESIGN.md §5), sealed under the device storage key. */
export const epochKeys = pgTable(
  'epoch_keys',
  {
    epochId: bytea('epoch_id').primaryKey(),
    conversationId: text('conversation_id').notNull(),
    senderDevice: text('sender_device').notNull(),
    keySealed: bytea('key_sealed').notNull(),
    /** The member device keys the epoch was sent to (hex, sorted): a change starts a new epoch. */
    recipients: text('recipients').notNull(),
    messageCount: integer('message_count').notNull().default(0),
    createdAt: instant('created_at').notNull(),
    /**
     * The erasure bucket whose key seals `key_sealed` inside the storage-key box (keystore/
     * erasure-keys.ts); null for rows written before forward secrecy (storage key only).
     */
    eraseBucket: integer('erase_bucket'),
  },
  (t) => [index('epoch_keys_sender').on(t.conversationId, t.senderDevice, t.createdAt)],
);

/**
 * This device's prekeys (wire/prekey.ts): the private half sealed under its erasure bucket's
 * key, then the storage key; the row and the bucket key go once the prekey's time is over.
 */
export const devicePrekeys = pgTable('device_prekeys', {
  publicKey: bytea('public_key').primaryKey(),
  privateSealed: bytea('private_sealed').notNull(),
  signed: bytea('signed').notNull(),
  createdAt: instant('created_at').notNull(),
  eraseBucket: integer('erase_bucket').notNull(),
});

/** The newest valid prekey each peer device published (wire/prekey.ts); epoch keys go to it. */
export const peerPrekeys = pgTable('peer_prekeys', {
  deviceId: text('device_id').primaryKey(),
  publicKey: bytea('public_key').notNull(),
  createdAt: instant('created_at').notNull(),
  expiresAt: instant('expires_at').notNull(),
});

/**
 * Items this device made and has not yet seen delivered, per target device. A chat message
 * (kind `message`) is named, not copied: its bytes are the `messages` row of the same id, so
 * `item` is null; other kinds (epoch-key envelopes) carry their bytes here. Items go on a live
 * link from memory; the pump reads bytes only for what it has to send again (ARCHITECTURE
 * "Messaging performance").
 */
export const outbox = pgTable(
  'outbox',
  {
    itemId: bytea('item_id').notNull(),
    targetDevice: text('target_device').notNull(),
    kind: text('kind').notNull(),
    item: bytea('item'),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.itemId, t.targetDevice] }),
    index('outbox_target').on(t.targetDevice),
    index('outbox_created').on(t.createdAt),
  ],
);

/** Ciphertext held for friends' devices that were offline (store-and-forward, docs/DESIGN.md §7). */
export const relayQueue = pgTable(
  'relay_queue',
  {
    itemId: bytea('item_id').notNull(),
    targetDevice: text('target_device').notNull(),
    /** Whose quota it counts against: the user whose device handed it over (relay-hold.ts). */
    ownerUser: text('owner_user').notNull(),
    origin: text('origin').notNull(),
    kind: text('kind').notNull(),
    item: bytea('item').notNull(),
    size: integer('size').notNull(),
    createdAt: instant('created_at').notNull(),
    expiresAt: instant('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.itemId, t.targetDevice] }),
    index('relay_queue_target').on(t.targetDevice),
    index('relay_queue_owner').on(t.ownerUser),
  ],
);

/** Receipts for items this device made: relayed by whom, delivered to whom. */
export const receipts = pgTable(
  'receipts',
  {
    itemId: bytea('item_id').notNull(),
    device: text('device').notNull(),
    state: text('state', { enum: ['relayed', 'delivered'] }).notNull(),
    at: instant('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.itemId, t.device, t.state] })],
);
