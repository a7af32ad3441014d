import { type AddressRecord, verifyAddressRecord } from '@kith/core/address-record';
import { eq, sql } from 'drizzle-orm';
import { addressRecords } from '@kith/db/schema';
import type { Clock } from '../components.ts';
import type { KithDb } from '@kith/db/database';

/** The newest signed address record per device (docs/DESIGN.md §6): a higher seq replaces a lower one. */
export class AddressRepository {
  constructor(
    private readonly db: KithDb,
    private readonly clock: Clock,
  ) {}

  /** Stores the record if it is newer than what we hold; returns whether it was. */
  async offer(record: AddressRecord): Promise<boolean> {
    const now = new Date(this.clock());
    const rows = await this.db
      .insert(addressRecords)
      .values({ deviceId: record.deviceId, seq: record.seq, record: record.bytes, updatedAt: now })
      .onConflictDoUpdate({
        target: addressRecords.deviceId,
        set: { seq: record.seq, record: record.bytes, updatedAt: now },
        setWhere: sql`${addressRecords.seq} < ${record.seq}`,
      })
      .returning({ deviceId: addressRecords.deviceId });
    return rows.length > 0;
  }

  async get(deviceId: string): Promise<AddressRecord | undefined> {
    const rows = await this.db
      .select()
      .from(addressRecords)
      .where(eq(addressRecords.deviceId, deviceId))
      .limit(1);
    return rows[0] ? verifyAddressRecord(rows[0].record) : undefined;
  }

  async all(): Promise<AddressRecord[]> {
    const rows = await this.db.select().from(addressRecords);
    return rows.map((r) => verifyAddressRecord(r.record));
  }

  async versions(): Promise<Map<string, number>> {
    const rows = await this.db
      .select({ deviceId: addressRecords.deviceId, seq: addressRecords.seq })
      .from(addressRecords);
    return new Map(rows.map((r) => [r.deviceId, r.seq]));
  }
}
