import { type RelayList, verifyRelayList } from '@kith/core/relay-list';
import { eq, sql } from 'drizzle-orm';
import { relayLists } from '@kith/db/schema';
import type { Clock } from '../components.ts';
import type { KithDb } from '@kith/db/database';
import type { IdentityRepository } from './identity-repository.ts';

/**
 * The newest signed relay list per user (docs/DESIGN.md §7): a higher seq replaces a lower one, and a
 * list counts only when an active device of that user signed it (checked against the user's
 * identity log as we hold it).
 */
export class RelayListRepository {
  constructor(
    private readonly db: KithDb,
    private readonly clock: Clock,
    private readonly identity: IdentityRepository,
  ) {}

  /** Stores a verified list if its signer is an active device of its user and it is newer; returns whether it was. */
  async offer(list: RelayList): Promise<boolean> {
    const signer = await this.identity.deviceBySigningKey(list.signingKey);
    if (signer?.status !== 'active' || signer.userId !== list.userId) return false;
    const now = new Date(this.clock());
    const rows = await this.db
      .insert(relayLists)
      .values({ userId: list.userId, seq: list.seq, record: list.bytes, updatedAt: now })
      .onConflictDoUpdate({
        target: relayLists.userId,
        set: { seq: list.seq, record: list.bytes, updatedAt: now },
        setWhere: sql`${relayLists.seq} < ${list.seq}`,
      })
      .returning({ userId: relayLists.userId });
    return rows.length > 0;
  }

  async get(userId: string): Promise<RelayList | undefined> {
    const rows = await this.db.select().from(relayLists).where(eq(relayLists.userId, userId)).limit(1);
    return rows[0] ? verifyRelayList(rows[0].record) : undefined;
  }

  async all(): Promise<RelayList[]> {
    const rows = await this.db.select().from(relayLists);
    return rows.map((r) => verifyRelayList(r.record));
  }
}
