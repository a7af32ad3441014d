import { sql } from 'drizzle-orm';
import type { KithDb } from '@kith/db/database';
import { rowsOf } from '@kith/db/migrate';

/**
 * The replicator's reads of the replication ledger across blobs (archive-replicator.ts): which
 * holders to watch, which copies are due a challenge, what is under-replicated, and the status
 * counts. Per-blob ledger writes are the archive package's HolderRepository.
 */
export class ReplicationLedgerRepository {
  constructor(private readonly db: KithDb) {}

  /** Devices other than `me` that hold (or held, not yet lost) any copy. */
  async watchedHolders(me: string): Promise<string[]> {
    const rows = rowsOf<{ device_id: string }>(
      await this.db.execute(
        sql`select distinct device_id from archive_holders where status <> 'lost' and device_id <> ${me}`,
      ),
    );
    return rows.map((r) => r.device_id);
  }

  /** Held remote copies whose last check (or receipt) is at or before `before`, oldest first. */
  async dueForCheck(me: string, before: string): Promise<{ blob_id: Uint8Array; device_id: string }[]> {
    return rowsOf<{ blob_id: Uint8Array; device_id: string }>(
      await this.db.execute(sql`
        select blob_id, device_id from archive_holders
        where status = 'held' and device_id <> ${me}
          and coalesce(checked_at, receipt_at) <= ${before}::timestamptz
        order by coalesce(checked_at, receipt_at) limit 200`),
    );
  }

  async underReplicatedIds(replicas: number, limit: number): Promise<Uint8Array[]> {
    const rows = rowsOf<{ blob_id: Uint8Array }>(
      await this.db.execute(sql`
        select blob_id from archive_holders group by blob_id
        having count(*) filter (where status = 'held') < ${replicas}
        order by count(*) filter (where status = 'held'), blob_id limit ${limit}`),
    );
    return rows.map((r) => new Uint8Array(r.blob_id));
  }

  async countUnderReplicated(replicas: number): Promise<number> {
    const [row] = rowsOf<{ n: number | string }>(
      await this.db.execute(sql`
        select count(*) as n from (select blob_id from archive_holders group by blob_id
        having count(*) filter (where status = 'held') < ${replicas}) t`),
    );
    return Number(row?.n ?? 0);
  }

  /** Per number of good copies: how many replicated items have it, and their bytes. */
  async byCopies(): Promise<{ copies: number | string; items: number | string; bytes: number | string }[]> {
    return rowsOf<{ copies: number | string; items: number | string; bytes: number | string }>(
      await this.db.execute(sql`
        select copies, count(*) as items, coalesce(sum(size), 0) as bytes from (
          select h.blob_id, b.size, count(*) filter (where h.status = 'held') as copies
          from archive_holders h join archive_blobs b on b.owner_id = h.owner_id and b.id = h.blob_id
          group by h.blob_id, b.size) t
        group by copies order by copies`),
    );
  }

  /** Copies per holder device and status. */
  async perHolder(): Promise<{ device_id: string; status: string; n: number | string }[]> {
    return rowsOf<{ device_id: string; status: string; n: number | string }>(
      await this.db.execute(sql`
        select device_id, status, count(*) as n from archive_holders
        group by device_id, status order by device_id`),
    );
  }

  /** Blobs held here for other devices (no ledger row: not replicated by this device). */
  async heldForOthers(): Promise<{ items: number; bytes: number }> {
    const [others] = rowsOf<{ items: number | string; bytes: number | string }>(
      await this.db.execute(sql`
        select count(*) as items, coalesce(sum(b.size), 0) as bytes from archive_blobs b
        where not exists (select 1 from archive_holders h where h.owner_id = b.owner_id and h.blob_id = b.id)`),
    );
    return { items: Number(others?.items ?? 0), bytes: Number(others?.bytes ?? 0) };
  }
}
