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

  /**
   * A link to the device came up. `dialed`: the address this side dialed, which becomes the
   * one tried first after a restart; an inbound link (no `dialed`: the far side's port there is
   * nobody's listening port) leaves the address known before as it is. An inbound link that
   * erased it could leave a restarted device with no way back to a friend whose signed address
   * record it had not stored yet.
   */
  async linkUp(o: {
    deviceId: string;
    userId: string;
    at: number;
    dialed: string | undefined;
  }): Promise<void> {
    await this.upsert({
      deviceId: o.deviceId,
      userId: o.userId,
      ...(o.dialed ? { lastAddress: o.dialed } : {}),
      lastSeenAt: new Date(o.at),
      lastConnectedAt: new Date(o.at),
      failures: 0,
    });
  }

  async get(deviceId: string): Promise<PeerRow | undefined> {
    return (await this.db.select().from(peers).where(eq(peers.deviceId, deviceId)).limit(1))[0];
  }

  async all(): Promise<PeerRow[]> {
    return this.db.select().from(peers);
  }
}
