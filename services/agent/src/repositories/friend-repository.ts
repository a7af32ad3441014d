import { asc, eq } from 'drizzle-orm';
import { friends, kv } from '@kith/db/schema';
import type { Clock } from '../components.ts';
import type { KithDb } from '@kith/db/database';

export type FriendRow = typeof friends.$inferSelect;

/** Friends: users paired in person (docs/DESIGN.md §2). Every friend relays for us by default (§7). */
export class FriendRepository {
  constructor(
    private readonly db: KithDb,
    private readonly clock: Clock,
  ) {}

  async add(userId: string, name: string | null): Promise<void> {
    await this.db
      .insert(friends)
      .values({ userId, name, addedAt: new Date(this.clock()), relay: true })
      .onConflictDoUpdate({ target: friends.userId, set: { name } });
  }

  async list(): Promise<FriendRow[]> {
    return this.db.select().from(friends).orderBy(asc(friends.addedAt));
  }

  async isFriend(userId: string): Promise<boolean> {
    const rows = await this.db
      .select({ userId: friends.userId })
      .from(friends)
      .where(eq(friends.userId, userId))
      .limit(1);
    return rows.length > 0;
  }

  /** Ends the friendship; true if there was one. */
  async remove(userId: string): Promise<boolean> {
    const rows = await this.db.delete(friends).where(eq(friends.userId, userId)).returning();
    return rows.length > 0;
  }

  /**
   * A user we unfriended: our own devices' copies of their log no longer make them a friend
   * again; only a new in-person invite of ours does (docs/SECURITY.md "A friend turned hostile").
   */
  async block(userId: string): Promise<void> {
    const value = { userId };
    await this.db
      .insert(kv)
      .values({ key: blockKey(userId), value, updatedAt: new Date(this.clock()) })
      .onConflictDoNothing();
  }

  async unblock(userId: string): Promise<void> {
    await this.db.delete(kv).where(eq(kv.key, blockKey(userId)));
  }

  async isBlocked(userId: string): Promise<boolean> {
    const rows = await this.db
      .select({ key: kv.key })
      .from(kv)
      .where(eq(kv.key, blockKey(userId)))
      .limit(1);
    return rows.length > 0;
  }
}

const blockKey = (userId: string) => `blocked:${userId}`;
