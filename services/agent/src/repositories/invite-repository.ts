import { and, eq, gt, isNull, lte, sql } from 'drizzle-orm';
import { invites } from '@kith/db/schema';
import type { KithDb } from '@kith/db/database';

export type InviteRow = typeof invites.$inferSelect;

const WIPED = new Uint8Array(0);

/**
 * One-time invites (docs/DESIGN.md §6). The secret is stored sealed; `consume` makes an invite single-use.
 * A used or expired invite keeps no secret: a device invite's sealed box holds the new device's
 * private keys, so it is emptied on use and on expiry (docs/SECURITY.md "Pairing").
 */
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
      .set({ usedAt: now, usedBy, secretSealed: WIPED })
      .where(and(eq(invites.id, id), isNull(invites.usedAt), gt(invites.expiresAt, now)))
      .returning({ id: invites.id });
    return rows.length > 0;
  }

  /** Empties the sealed secret of every invite that expired by `now`; returns how many. */
  async wipeExpired(now: Date): Promise<number> {
    const rows = await this.db
      .update(invites)
      .set({ secretSealed: WIPED })
      .where(and(lte(invites.expiresAt, now), sql`length(${invites.secretSealed}) > 0`))
      .returning({ id: invites.id });
    return rows.length;
  }

  /** When the next open invite expires (to wipe it then), if any. */
  async nextExpiry(): Promise<Date | undefined> {
    const rows = await this.db
      .select({ expiresAt: invites.expiresAt })
      .from(invites)
      .where(sql`length(${invites.secretSealed}) > 0`)
      .orderBy(invites.expiresAt)
      .limit(1);
    return rows[0]?.expiresAt;
  }
}
