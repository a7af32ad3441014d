import { and, eq, gt, isNull, lte, sql } from 'drizzle-orm';
import { invites } from '@kith/db/schema';
import type { KithDb } from '@kith/db/database';

export type InviteRow = typeof invites.$inferSelect;

const open = (now: Date) => [isNull(invites.usedAt), isNull(invites.endedAt), gt(invites.expiresAt, now)];

const WIPED = new Uint8Array(0);

/**
 * One-time invites (docs/DESIGN.md §6). The secret is stored sealed; `consume` makes an invite single-use.
 * A used or ended invite keeps at most its link secret until it expires, so whoever holds the code
 * is told it was used or cancelled; a device invite's sealed box holds the new device's private
 * keys, so those are dropped on use and on end, and everything on expiry (docs/SECURITY.md "Pairing").
 */
export class InviteRepository {
  constructor(private readonly db: KithDb) {}

  async create(row: typeof invites.$inferInsert): Promise<void> {
    await this.db.insert(invites).values(row);
  }

  async get(id: string): Promise<InviteRow | undefined> {
    return (await this.db.select().from(invites).where(eq(invites.id, id)).limit(1))[0];
  }

  /**
   * Atomically marks an open, unexpired invite used; false if it was used, ended or expired.
   * `kept` replaces the sealed box: only the link secret (so a second use is told INVITE_USED
   * rather than met with silence), never a device invite's keys; wiped at expiry.
   */
  async consume(id: string, now: Date, usedBy: string, kept: Uint8Array = WIPED): Promise<boolean> {
    const rows = await this.db
      .update(invites)
      .set({ usedAt: now, usedBy, secretSealed: kept, nameplate: null })
      .where(and(eq(invites.id, id), ...open(now)))
      .returning({ id: invites.id });
    return rows.length > 0;
  }

  /** Ends an open invite before use (cancelled, or a wrong short-code guess); false if it was not open. */
  async end(
    id: string,
    now: Date,
    reason: 'cancelled' | 'wrong-code',
    kept: Uint8Array = WIPED,
  ): Promise<boolean> {
    const rows = await this.db
      .update(invites)
      .set({ endedAt: now, endedReason: reason, secretSealed: kept, nameplate: null })
      .where(and(eq(invites.id, id), ...open(now)))
      .returning({ id: invites.id });
    return rows.length > 0;
  }

  /** Invites neither used, ended nor expired, oldest first. */
  async listOpen(now: Date): Promise<InviteRow[]> {
    return this.db
      .select()
      .from(invites)
      .where(and(...open(now)))
      .orderBy(invites.createdAt);
  }

  /** Drops the short code of an invite (spent: its long code was handed over). */
  async clearNameplate(id: string): Promise<void> {
    await this.db.update(invites).set({ nameplate: null }).where(eq(invites.id, id));
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
