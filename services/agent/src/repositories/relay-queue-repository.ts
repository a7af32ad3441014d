/**
 * The messenger's queries on items held for other devices (messaging/relay-forwarding.ts): what
 * a device gets on its new link, what its "delivered" receipt releases, what expires, and what
 * was kept for this device while it was locked. Holding itself is messaging/relay-hold.ts.
 */
import { and, asc, eq, inArray, lt, ne } from 'drizzle-orm';
import { relayQueue } from '@kith/db/schema';
import type { KithDb } from '@kith/db/database';

export type HeldRow = typeof relayQueue.$inferSelect;

export class RelayQueueRepository {
  constructor(private readonly db: KithDb) {}

  /** Drops expired items, except those kept for `me` while locked; returns how many went. */
  async expire(now: number, me: string): Promise<number> {
    const gone = await this.db
      .delete(relayQueue)
      .where(and(lt(relayQueue.expiresAt, new Date(now)), ne(relayQueue.targetDevice, me)))
      .returning({ id: relayQueue.itemId });
    return gone.length;
  }

  /** Everything held for a device. */
  async heldFor(deviceId: string): Promise<HeldRow[]> {
    return this.db.select().from(relayQueue).where(eq(relayQueue.targetDevice, deviceId));
  }

  /** Everything held for a device, in arrival order. */
  async heldForInOrder(deviceId: string): Promise<HeldRow[]> {
    return this.db
      .select()
      .from(relayQueue)
      .where(eq(relayQueue.targetDevice, deviceId))
      .orderBy(asc(relayQueue.createdAt));
  }

  /** Ends what is held for `target` among `items`; returns how many rows went. */
  async release(target: string, items: Uint8Array[]): Promise<number> {
    let released = 0;
    for (let i = 0; i < items.length; i += 500) {
      const gone = await this.db
        .delete(relayQueue)
        .where(and(eq(relayQueue.targetDevice, target), inArray(relayQueue.itemId, items.slice(i, i + 500))))
        .returning({ id: relayQueue.itemId });
      released += gone.length;
    }
    return released;
  }

  /** Drops the named items held for `target` (no count). */
  async drop(target: string, items: Uint8Array[]): Promise<void> {
    for (let i = 0; i < items.length; i += 500) {
      await this.db
        .delete(relayQueue)
        .where(and(eq(relayQueue.targetDevice, target), inArray(relayQueue.itemId, items.slice(i, i + 500))));
    }
  }
}
