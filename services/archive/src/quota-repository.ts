import { KithError } from '@kith/core/errors';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import { archiveQuotas } from '@kith/db/schema';
import type { Clock, Executor, KithDb } from './database.ts';

export interface QuotaLimits {
  readonly bytes: number;
  readonly count: number;
}

/** What an owner uses and may use; limits are the effective ones (defaults filled in). */
export interface QuotaUsage {
  readonly ownerId: string;
  readonly usedBytes: number;
  readonly usedCount: number;
  readonly limitBytes: number;
  readonly limitCount: number;
}

/** Change in usage for one owner (negative when blobs are deleted). */
export interface UsageDelta {
  readonly bytes: number;
  readonly count: number;
}

/**
 * Per-owner room on a relay that has not set one: 1 GiB and a million items, enough for years
 * of messages and small enough that one friend cannot fill a home server.
 */
export const DEFAULT_QUOTA: QuotaLimits = { bytes: 1024 ** 3, count: 1_000_000 };

export interface QuotaRepositoryOptions {
  /** Limits for owners without their own (default DEFAULT_QUOTA). */
  defaults?: QuotaLimits;
}

type QuotaRow = typeof archiveQuotas.$inferSelect;

/**
 * Usage and limits per owner. Usage moves in the same transaction as the blobs it counts
 * (BlobRepository calls `lock` and `add` inside its own transaction), so it never drifts.
 */
export class QuotaRepository {
  readonly defaults: QuotaLimits;

  constructor(
    private readonly db: KithDb,
    private readonly clock: Clock,
    options: QuotaRepositoryOptions = {},
  ) {
    this.defaults = options.defaults ?? DEFAULT_QUOTA;
  }

  async usage(ownerId: string): Promise<QuotaUsage> {
    const [row] = await this.db
      .select()
      .from(archiveQuotas)
      .where(eq(archiveQuotas.ownerId, ownerId))
      .limit(1);
    return this.#effective(ownerId, row);
  }

  /** Sets an owner's limits; `null` returns that limit to the default, `undefined` leaves it. */
  async setLimits(
    ownerId: string,
    limits: { bytes?: number | null; count?: number | null },
  ): Promise<QuotaUsage> {
    for (const value of [limits.bytes, limits.count]) {
      if (value != null && !(Number.isSafeInteger(value) && value >= 0)) {
        throw new KithError('INVALID_INPUT', 'A quota limit is a whole number of bytes or items, 0 or more.');
      }
    }
    const set: Partial<QuotaRow> = { updatedAt: new Date(this.clock()) };
    if (limits.bytes !== undefined) set.limitBytes = limits.bytes;
    if (limits.count !== undefined) set.limitCount = limits.count;
    const [row] = await this.db
      .insert(archiveQuotas)
      .values({ ownerId, ...set, updatedAt: set.updatedAt! })
      .onConflictDoUpdate({ target: archiveQuotas.ownerId, set })
      .returning();
    return this.#effective(ownerId, row);
  }

  /**
   * Inside a transaction: makes sure each owner has a row and locks the rows (in owner order,
   * so two writers never wait on each other in a cycle) until the transaction ends.
   */
  async lock(tx: Executor, ownerIds: readonly string[]): Promise<Map<string, QuotaUsage>> {
    const owners = [...new Set(ownerIds)].sort();
    const select = () =>
      tx
        .select()
        .from(archiveQuotas)
        .where(inArray(archiveQuotas.ownerId, owners))
        .orderBy(asc(archiveQuotas.ownerId))
        .for('update');
    let rows = owners.length === 0 ? [] : await select();
    if (rows.length < owners.length) {
      const at = new Date(this.clock());
      await tx
        .insert(archiveQuotas)
        .values(owners.map((ownerId) => ({ ownerId, updatedAt: at })))
        .onConflictDoNothing();
      rows = await select();
    }
    return new Map(rows.map((row) => [row.ownerId, this.#effective(row.ownerId, row)]));
  }

  /** Inside a transaction: adds each owner's delta to its usage, in one statement. */
  async add(tx: Executor, deltas: ReadonlyMap<string, UsageDelta>, at: Date): Promise<void> {
    const changes = [...deltas]
      .filter(([, d]) => d.bytes !== 0 || d.count !== 0)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    if (changes.length === 0) return;
    const values = sql.join(
      changes.map(([owner, d]) => sql`(${owner}::text, ${d.bytes}::bigint, ${d.count}::bigint)`),
      sql`, `,
    );
    await tx.execute(sql`
      update ${archiveQuotas} set
        used_bytes = ${archiveQuotas}.used_bytes + d.bytes,
        used_count = ${archiveQuotas}.used_count + d.count,
        updated_at = ${at.toISOString()}::timestamptz
      from (values ${values}) as d(owner_id, bytes, count)
      where ${archiveQuotas}.owner_id = d.owner_id`);
  }

  /** The refusal for adding `bytes`/`count` to `usage`, or undefined when it fits. */
  static refusal(usage: QuotaUsage, bytes: number, count: number): KithError | undefined {
    const bytesAfter = usage.usedBytes + bytes;
    const countAfter = usage.usedCount + count;
    if (bytesAfter <= usage.limitBytes && countAfter <= usage.limitCount) return undefined;
    const over =
      bytesAfter > usage.limitBytes
        ? `${bytes} more bytes would make ${bytesAfter} bytes, over the limit of ${usage.limitBytes} bytes`
        : `${count} more items would make ${countAfter} items, over the limit of ${usage.limitCount} items`;
    return new KithError(
      'ARCHIVE_QUOTA_EXCEEDED',
      `Owner ${usage.ownerId} uses ${usage.usedBytes} bytes in ${usage.usedCount} items; ${over}.`,
    );
  }

  #effective(ownerId: string, row: QuotaRow | undefined): QuotaUsage {
    return {
      ownerId,
      usedBytes: row?.usedBytes ?? 0,
      usedCount: row?.usedCount ?? 0,
      limitBytes: row?.limitBytes ?? this.defaults.bytes,
      limitCount: row?.limitCount ?? this.defaults.count,
    };
  }
}
