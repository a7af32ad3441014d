import { KithError } from '@kith/core/errors';
import { and, asc, eq, inArray, ne, type SQL, sql } from 'drizzle-orm';
import { type ArchiveHolderStatus, archiveBlobs, archiveHolders } from '@kith/db/schema';
import type { Clock, KithDb } from './database.ts';
import { FOREIGN_KEY_VIOLATION, sqlState } from './pg-error.ts';

export type { ArchiveHolderStatus };

/** One device's copy of one blob, as the replication ledger knows it (docs/DESIGN.md §7). */
export interface HolderRecord {
  readonly blobId: Uint8Array;
  readonly deviceId: string;
  /** The holder's signed storage receipt, as received; the caller verified it. */
  readonly receipt: Uint8Array;
  readonly receiptAt: Date;
  readonly checkedAt: Date | null;
  /** Outcome of the last possession check; null until one ran. */
  readonly checkPassed: boolean | null;
  readonly status: ArchiveHolderStatus;
}

/** A blob with fewer good copies than wanted. */
export interface UnderReplicated {
  readonly blobId: Uint8Array;
  readonly ownerId: string;
  /** Holders whose status is `held`. */
  readonly holders: number;
}

/**
 * The replication ledger (docs/DESIGN.md §7): which devices hold each blob, their storage receipts and
 * possession checks. A copy counts toward the replication factor only while its holder's
 * status is `held`: a failed check (`failed`) or a lost device (`lost`) stops it counting, and
 * a fresh receipt from that device makes it count again.
 */
export class HolderRepository {
  constructor(
    private readonly db: KithDb,
    private readonly clock: Clock,
  ) {}

  /** Records (or renews) a device's receipt for a blob this store has; the copy counts as held. */
  async recordReceipt(input: {
    /** The blob's owner (the ledger is for this device's own user's blobs). */
    ownerId: string;
    blobId: Uint8Array;
    deviceId: string;
    receipt: Uint8Array;
    receiptAt?: Date;
  }): Promise<void> {
    const receiptAt = input.receiptAt ?? new Date(this.clock());
    const row = {
      ownerId: input.ownerId,
      blobId: input.blobId,
      deviceId: input.deviceId,
      receipt: input.receipt,
      receiptAt,
      status: 'held' as const,
    };
    try {
      await this.db
        .insert(archiveHolders)
        .values(row)
        .onConflictDoUpdate({
          target: [archiveHolders.blobId, archiveHolders.deviceId],
          set: { receipt: row.receipt, receiptAt, status: 'held' },
        });
    } catch (error) {
      if (sqlState(error) === FOREIGN_KEY_VIOLATION) {
        throw new KithError('NOT_FOUND', 'The archive holds no blob with that id.', { cause: error });
      }
      throw error;
    }
  }

  /**
   * Records a possession check (challenge: hash of the blob with a fresh nonce). A pass makes a
   * failed copy count again; a lost holder stays lost. Returns false if no such holder is known.
   */
  async recordCheck(blobId: Uint8Array, deviceId: string, passed: boolean): Promise<boolean> {
    const rows = await this.db
      .update(archiveHolders)
      .set({
        checkedAt: new Date(this.clock()),
        checkPassed: passed,
        status: sql`case when ${archiveHolders.status} = 'lost' then 'lost' else ${passed ? 'held' : 'failed'} end`,
      })
      .where(and(eq(archiveHolders.blobId, blobId), eq(archiveHolders.deviceId, deviceId)))
      .returning({ deviceId: archiveHolders.deviceId });
    return rows.length > 0;
  }

  /** Every recorded holder of a blob, whatever its status, in device order. */
  async holdersOf(blobId: Uint8Array): Promise<HolderRecord[]> {
    return this.db
      .select()
      .from(archiveHolders)
      .where(eq(archiveHolders.blobId, blobId))
      .orderBy(asc(archiveHolders.deviceId));
  }

  /**
   * Marks a device's copies lost: all of them (the device is gone or revoked) or only those of
   * the given blobs. Returns how many copies changed.
   */
  async markLost(deviceId: string, blobIds?: readonly Uint8Array[]): Promise<number> {
    const where: SQL[] = [eq(archiveHolders.deviceId, deviceId), ne(archiveHolders.status, 'lost')];
    if (blobIds) {
      if (blobIds.length === 0) return 0;
      where.push(inArray(archiveHolders.blobId, [...blobIds]));
    }
    const rows = await this.db
      .update(archiveHolders)
      .set({ status: 'lost' })
      .where(and(...where))
      .returning({ deviceId: archiveHolders.deviceId });
    return rows.length;
  }

  /**
   * Blobs with fewer than `r` held copies (the repair loop's work list), fewest copies first,
   * optionally for one owner.
   */
  async underReplicated(
    r: number,
    options: { ownerId?: string; limit?: number } = {},
  ): Promise<UnderReplicated[]> {
    if (!Number.isInteger(r) || r < 1)
      throw new KithError('INVALID_INPUT', 'The replication factor is a whole number, 1 or more.');
    const held = sql`count(${archiveHolders.deviceId})`;
    return this.db
      .select({
        blobId: archiveBlobs.id,
        ownerId: archiveBlobs.ownerId,
        holders: held.mapWith(Number),
      })
      .from(archiveBlobs)
      .leftJoin(
        archiveHolders,
        and(
          eq(archiveHolders.ownerId, archiveBlobs.ownerId),
          eq(archiveHolders.blobId, archiveBlobs.id),
          eq(archiveHolders.status, 'held'),
        ),
      )
      .where(options.ownerId === undefined ? undefined : eq(archiveBlobs.ownerId, options.ownerId))
      .groupBy(archiveBlobs.id, archiveBlobs.ownerId)
      .having(sql`${held} < ${r}`)
      .orderBy(sql`${held}`, asc(archiveBlobs.id))
      .limit(Math.max(1, Math.min(options.limit ?? 1000, 100_000)));
  }
}
