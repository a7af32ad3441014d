import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { bytea } from './bytea.ts';

/**
 * The encrypted archive store (docs/DESIGN.md §7, §9). A relay stores what it cannot read: every
 * column here is an id, a size, a time, a counter or ciphertext. Nothing says what a blob
 * contains or which conversation it belongs to.
 */

/** Timestamps are instants; the clock that fills them is injected (docs/DESIGN.md §3). */
const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** A check-constraint list built from the same constants the code uses. */
const oneOf = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/**
 * What a blob is for, as much as the relay needs to know: `current` items are sealed 2-of-2
 * (owner + relay), `history` items 2-of-3, `index` blobs hold an encrypted index (docs/DESIGN.md §5).
 */
export const ARCHIVE_BLOB_KINDS = ['current', 'history', 'index'] as const;
export type ArchiveBlobKind = (typeof ARCHIVE_BLOB_KINDS)[number];

/** The two encrypted lists each owner keeps: its conversation index and its active conversations. */
export const ARCHIVE_INDEX_NAMES = ['conversations', 'active'] as const;
export type ArchiveIndexName = (typeof ARCHIVE_INDEX_NAMES)[number];

/** Whether a holder still has its copy: `failed` = last possession check failed, `lost` = gone. */
export const ARCHIVE_HOLDER_STATUSES = ['held', 'failed', 'lost'] as const;
export type ArchiveHolderStatus = (typeof ARCHIVE_HOLDER_STATUSES)[number];

/**
 * Content-addressed ciphertext, keyed by (owner, id). `id` is the 32-byte content hash of
 * `ciphertext`, so one owner storing the same bytes twice stores them once; another owner's
 * copy of the same bytes is its own row, so no one can take an id before its owner stores it
 * (docs/SECURITY.md "A friend holding your archive item"). `size` is kept next to it so usage
 * needs no detoasting.
 */
export const archiveBlobs = pgTable(
  'archive_blobs',
  {
    id: bytea('id').notNull(),
    ownerId: text('owner_id').notNull(),
    kind: text('kind', { enum: ARCHIVE_BLOB_KINDS }).notNull(),
    size: integer('size').notNull(),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
    ciphertext: bytea('ciphertext').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.ownerId, t.id] }),
    check('archive_blobs_id_length', sql`octet_length(${t.id}) = 32`),
    check('archive_blobs_size', sql`${t.size} = octet_length(${t.ciphertext})`),
    check('archive_blobs_kind', sql`${t.kind} in (${oneOf(ARCHIVE_BLOB_KINDS)})`),
  ],
);

/**
 * The replication ledger (docs/DESIGN.md §7): which devices hold a copy of a blob, the signed storage
 * receipt each returned, and the outcome of the last possession check. Only the blobs of this
 * device's own user have a ledger, so (blob, device) stays the key; `owner_id` names the row.
 */
export const archiveHolders = pgTable(
  'archive_holders',
  {
    ownerId: text('owner_id').notNull(),
    blobId: bytea('blob_id').notNull(),
    deviceId: text('device_id').notNull(),
    /** The holder's signed storage receipt, as received (opaque here). */
    receipt: bytea('receipt').notNull(),
    receiptAt: instant('receipt_at').notNull(),
    checkedAt: instant('checked_at'),
    /** Result of the possession check at `checked_at`; null until one ran. */
    checkPassed: boolean('check_passed'),
    status: text('status', { enum: ARCHIVE_HOLDER_STATUSES }).notNull().default('held'),
  },
  (t) => [
    primaryKey({ columns: [t.blobId, t.deviceId] }),
    foreignKey({
      columns: [t.ownerId, t.blobId],
      foreignColumns: [archiveBlobs.ownerId, archiveBlobs.id],
      name: 'archive_holders_owner_blob',
    }).onDelete('cascade'),
    index('archive_holders_device').on(t.deviceId),
    check('archive_holders_status', sql`${t.status} in (${oneOf(ARCHIVE_HOLDER_STATUSES)})`),
  ],
);

/**
 * Usage and limits per owner. `used_*` move in the same transaction as the blobs they count;
 * a null limit means the store's default.
 */
export const archiveQuotas = pgTable(
  'archive_quotas',
  {
    ownerId: text('owner_id').primaryKey(),
    usedBytes: bigint('used_bytes', { mode: 'number' }).notNull().default(0),
    usedCount: bigint('used_count', { mode: 'number' }).notNull().default(0),
    limitBytes: bigint('limit_bytes', { mode: 'number' }),
    limitCount: bigint('limit_count', { mode: 'number' }),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [
    check('archive_quotas_used', sql`${t.usedBytes} >= 0 and ${t.usedCount} >= 0`),
    check('archive_quotas_limits', sql`${t.limitBytes} >= 0 and ${t.limitCount} >= 0`),
  ],
);

/**
 * Per owner, the current version of each encrypted list (conversation index, active list):
 * a pointer to an `index` blob and a version for optimistic concurrency. The blob cannot be
 * deleted while a pointer names it.
 */
export const archiveIndexes = pgTable(
  'archive_indexes',
  {
    ownerId: text('owner_id').notNull(),
    name: text('name', { enum: ARCHIVE_INDEX_NAMES }).notNull(),
    blobId: bytea('blob_id').notNull(),
    version: bigint('version', { mode: 'number' }).notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.ownerId, t.name] }),
    foreignKey({
      columns: [t.ownerId, t.blobId],
      foreignColumns: [archiveBlobs.ownerId, archiveBlobs.id],
      name: 'archive_indexes_owner_blob',
    }).onDelete('restrict'),
    index('archive_indexes_owner_blob').on(t.ownerId, t.blobId),
    check('archive_indexes_name', sql`${t.name} in (${oneOf(ARCHIVE_INDEX_NAMES)})`),
    check('archive_indexes_version', sql`${t.version} > 0`),
  ],
);
