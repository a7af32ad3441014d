import { and, eq, gt, isNull } from 'drizzle-orm';
import { invites } from '@kith/db/schema';
import type { KithDb } from '@kith/db/database';

export type InviteRow = typeof invites.$inferSelect;

/** One-time invites (DESIGN §6). The secret is stored sealed; `consume` makes an invite single-use. */
export class InviteRepository {
  constructor(private readonly db: KithDb) {}

  async create(row: typeof invites.$inferInsert): Promise<void> {
    await this.db.insert(invites).values(row);
  }

  async get(id: string): Promise<InviteRow | undefined> {
    return (await this.db.select().from(invites).where(eq(invites.id, id)).limit(1))[0];
  }

  /** Atomically marks an open, unexpired invite used; false if it was used or expired. */
  async consume(id: string, now: Date, usedBy: string): Promise<boolean> {
    const rows = await this.db
      .update(invites)
      .set({ usedAt: now, usedBy })
      .where(and(eq(invites.id, id), isNull(invites.usedAt), gt(invites.expiresAt, now)))
      .returning({ id: invites.id });
    return rows.length > 0;
  }
}
