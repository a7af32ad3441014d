/**
 * What this node holds for each friend (`kith archive status` on an appliance): counts and
 * bytes of their archive ciphertext and of items relayed for their offline devices. Sizes
 * and owners only; the contents stay opaque (docs/ARCHITECTURE.md "The appliance").
 */
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../../../db/migrate.ts';
import type { KithDb } from '@kith/db/database';

export interface HeldForFriend {
  userId: string;
  archive: { items: number; bytes: number };
  relayed: { items: number; bytes: number };
}

export async function heldForFriends(db: KithDb, me: string): Promise<HeldForFriend[]> {
  const byUser = new Map<string, HeldForFriend>();
  const entry = (userId: string) => {
    let e = byUser.get(userId);
    if (!e) {
      e = { userId, archive: { items: 0, bytes: 0 }, relayed: { items: 0, bytes: 0 } };
      byUser.set(userId, e);
    }
    return e;
  };
  // As in the replicator's status: a blob with no holder row here is one we hold for its owner.
  const archive = rowsOf<{ owner: string; items: number | string; bytes: number | string }>(
    await db.execute(sql`
      select b.owner_id as owner, count(*) as items, coalesce(sum(b.size), 0) as bytes
      from archive_blobs b
      where b.owner_id <> ${me} and not exists (select 1 from archive_holders h where h.blob_id = b.id)
      group by b.owner_id`),
  );
  for (const r of archive) entry(r.owner).archive = { items: Number(r.items), bytes: Number(r.bytes) };
  const relayed = rowsOf<{ owner: string; items: number | string; bytes: number | string }>(
    await db.execute(sql`
      select owner_user as owner, count(*) as items, coalesce(sum(size), 0) as bytes
      from relay_queue where owner_user <> ${me} group by owner_user`),
  );
  for (const r of relayed) entry(r.owner).relayed = { items: Number(r.items), bytes: Number(r.bytes) };
  return [...byUser.values()].sort((a, b) => a.userId.localeCompare(b.userId));
}
