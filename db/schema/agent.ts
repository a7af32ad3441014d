import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { bytea } from './bytea.ts';

/** Timestamps are instants; the clock that fills them is injected (docs/DESIGN.md §3). */
const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Identity logs (docs/DESIGN.md §2, §4): ours and every friend's, append-only and hash-linked.
 * `entry` is the canonical CBOR of the signed entry; `hash` is its content hash, kept so a
 * fork (a second entry at the same seq) is found without decoding.
 */
export const identityLogEntries = pgTable(
  'identity_log_entries',
  {
    userId: text('user_id').notNull(),
    seq: integer('seq').notNull(),
    entry: bytea('entry').notNull(),
    hash: bytea('hash').notNull(),
    receivedAt: instant('received_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.seq] }), uniqueIndex('identity_log_entries_hash').on(t.hash)],
);

/**
 * Friends: users whose identity was exchanged in person (docs/DESIGN.md §2). `relay` is true when
 * we chose this friend's nodes to hold our ciphertext (store-and-forward and archive, §7).
 */
export const friends = pgTable('friends', {
  userId: text('user_id').primaryKey(),
  name: text('name'),
  addedAt: instant('added_at').notNull(),
  relay: boolean('relay').notNull().default(false),
});

/**
 * Devices of every known user, ours included, as learned from identity logs (docs/DESIGN.md §4).
 * An index is never reused for a user, hence the unique (user_id, device_index).
 */
export const devices = pgTable(
  'devices',
  {
    deviceId: text('device_id').primaryKey(),
    userId: text('user_id').notNull(),
    deviceIndex: integer('device_index').notNull(),
    /** X25519 static key (Noise static, HPKE recipient). */
    staticPublicKey: bytea('static_public_key').notNull(),
    /** Ed25519 device signing key. */
    signingPublicKey: bytea('signing_public_key').notNull(),
    /** Canonical CBOR of the root-signed device certificate, when known. */
    certificate: bytea('certificate'),
    status: text('status', { enum: ['active', 'revoked'] })
      .notNull()
      .default('active'),
    addedAt: instant('added_at').notNull(),
    revokedAt: instant('revoked_at'),
  },
  (t) => [
    uniqueIndex('devices_user_index').on(t.userId, t.deviceIndex),
    index('devices_user').on(t.userId),
    check('devices_status', sql`${t.status} in ('active', 'revoked')`),
  ],
);

/**
 * The newest signed address record known per device (docs/DESIGN.md §6). `seq` orders records;
 * `observed_address` is where we last saw the device ourselves, which may differ.
 */
export const addressRecords = pgTable('address_records', {
  deviceId: text('device_id').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  record: bytea('record').notNull(),
  observedAddress: text('observed_address'),
  updatedAt: instant('updated_at').notNull(),
});

/**
 * Link state per peer device (docs/DESIGN.md §6): what the heartbeats measured last. Rows survive a
 * restart so a node can try its last known peers first when it comes back.
 */
export const peers = pgTable('peers', {
  deviceId: text('device_id').primaryKey(),
  userId: text('user_id').notNull(),
  lastAddress: text('last_address'),
  lastSeenAt: instant('last_seen_at'),
  lastConnectedAt: instant('last_connected_at'),
  /** Peer clock minus ours, NTP-style estimate from heartbeats. */
  clockOffsetMs: integer('clock_offset_ms'),
  roundTripMs: integer('round_trip_ms'),
  failures: integer('failures').notNull().default(0),
});

/**
 * One-time in-person invites (docs/DESIGN.md §6: Noise_IKpsk2 first contact). The inviter needs the
 * one-time secret itself to answer the handshake, so it is kept sealed (`secret_sealed`, the
 * ciphertext under this device's keys), never in the clear. `used_at` makes it single use.
 * Used and expired rows keep an empty `secret_sealed`: a device invite's box holds the new
 * device's private keys.
 */
export const invites = pgTable(
  'invites',
  {
    id: text('id').primaryKey(),
    role: text('role', { enum: ['friend', 'device'] }).notNull(),
    secretSealed: bytea('secret_sealed').notNull(),
    createdAt: instant('created_at').notNull(),
    expiresAt: instant('expires_at').notNull(),
    usedAt: instant('used_at'),
    /** The user or device that redeemed it. */
    usedBy: text('used_by'),
    /** Ended before use: `cancelled` (by its maker) or `wrong-code` (a wrong short-code guess). */
    endedAt: instant('ended_at'),
    endedReason: text('ended_reason', { enum: ['cancelled', 'wrong-code'] }),
    /** The number of its short code (docs/PROTOCOL.md §9a), while it has one. */
    nameplate: integer('nameplate'),
  },
  (t) => [
    index('invites_open').on(t.expiresAt).where(sql`${t.usedAt} is null`),
    check('invites_role', sql`${t.role} in ('friend', 'device')`),
  ],
);

/** Small encrypted-at-rest secrets by name (docs/DESIGN.md §1: every byte at rest is ciphertext). */
export const secrets = pgTable('secrets', {
  name: text('name').primaryKey(),
  ciphertext: bytea('ciphertext').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

/** Small, non-secret settings (JSON values). Never key material. */
export const kv = pgTable('kv', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: instant('updated_at').notNull(),
});
