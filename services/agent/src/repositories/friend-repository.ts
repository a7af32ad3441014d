import { asc, eq } from 'drizzle-orm';
import { friends } from '@kith/db/schema';
import type { Clock } from '../components.ts';
import type { KithDb } from '@kith/db/database';

export type FriendRow = typeof friends.$inferSelect;

/** Friends: users paired in person (DESIGN §2). Every friend relays for us by default (§7). */
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
}
