import { eq } from 'drizzle-orm';
import { peers } from '@kith/db/schema';
import type { KithDb } from '@kith/db/database';

export type PeerRow = typeof peers.$inferSelect;

/** Link statistics per peer device, kept across restarts (docs/DESIGN.md §6). */
export class PeerRepository {
  constructor(private readonly db: KithDb) {}

  async upsert(row: Partial<PeerRow> & { deviceId: string; userId: string }): Promise<void> {
    const { deviceId, ...rest } = row;
    await this.db.insert(peers).values(row).onConflictDoUpdate({ target: peers.deviceId, set: rest });
  }

  async get(deviceId: string): Promise<PeerRow | undefined> {
    return (await this.db.select().from(peers).where(eq(peers.deviceId, deviceId)).limit(1))[0];
  }

  async all(): Promise<PeerRow[]> {
    return this.db.select().from(peers);
  }
}
