/**
 * Old copies of re-wrapped items deleted (docs/ARCHITECTURE.md "Re-wrap after a revocation",
 * docs/PROTOCOL.md §12 "Superseded items"). When a pass seals an item anew to today's devices
 * (archive-rewrap.ts), the old blob, still sealed to the revoked device, is superseded. Once the
 * new blob has all its copies (the replication factor, as the ledger counts them), this device
 * deletes its own old copy and asks every linked own or friend device that announced the
 * feature `archive-drop` (wire/features.ts) to delete theirs; each answers `archive-dropped`
 * and is not asked again. A device of an older version is never sent the message (it would
 * close the link on an unknown type) and keeps its copy; so does a holder that is not linked
 * within KEEP_MS. The list lives in `kv` (`archive-superseded`): blob ids only, which the
 * archive tables hold in the clear anyway.
 */
import { fromHex, toHex } from '@kith/core/crypto/index';
import { verifyEnvelope } from '@kith/core/envelope';
import { isKithError } from '@kith/core/errors';
import { ARCHIVE_DROP_MAX_BLOBS } from '@kith/core/wire/archive-drop';
import type { BlobRepository, HolderRepository } from '@kith/archive';
import { kv } from '@kith/db/schema';
import { eq } from 'drizzle-orm';
import type { PeerNode } from '../peer/peer-node.ts';
import type { ArchiveSessionMessage, PeerSession } from '../peer/peer-session.ts';

const KEY = 'archive-superseded';
/** How long a superseded blob is remembered (holders not linked by then keep their copy). */
export const KEEP_MS = 30 * 24 * 3600_000;
export const FEATURE = 'archive-drop';

interface Superseded {
  /** The old blob (hex) and the one listed in its place. */
  old: string;
  by: string;
  at: number;
  /** The new blob had its copies; this device's old copy is deleted. */
  replaced?: boolean;
  /** Devices that answered `archive-dropped` for it. */
  done: string[];
}

export class SupersededDrops {
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly node: PeerNode,
    private readonly blobs: BlobRepository,
    private readonly holders: HolderRepository,
    private readonly replicas: number,
  ) {}

  private get db() {
    return this.node.options.components.db.db;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(work, work);
    this.#chain = next.catch(() => {});
    return next;
  }

  /** What waits (old blob ids, hex), for tests and views. */
  async pending(): Promise<string[]> {
    return (await this.load()).map((e) => e.old);
  }

  private async load(): Promise<Superseded[]> {
    const rows = await this.db.select().from(kv).where(eq(kv.key, KEY)).limit(1);
    const value = rows[0]?.value as { entries?: Superseded[] } | undefined;
    return Array.isArray(value?.entries) ? value.entries : [];
  }

  private async save(entries: Superseded[]): Promise<void> {
    const value = { entries };
    const updatedAt = new Date(this.node.clock());
    await this.db
      .insert(kv)
      .values({ key: KEY, value, updatedAt })
      .onConflictDoUpdate({ target: kv.key, set: { value, updatedAt } });
  }

  /** A pass listed `by` in place of `old` (both hex blob ids). */
  add(pairs: readonly { old: string; by: string }[]): Promise<void> {
    if (pairs.length === 0) return Promise.resolve();
    return this.serial(async () => {
      const entries = await this.load();
      const at = this.node.clock();
      for (const { old, by } of pairs)
        if (!entries.some((e) => e.old === old)) entries.push({ old, by, at, done: [] });
      await this.save(entries);
    });
  }

  /**
   * From each repair pass: forgets what is older than KEEP_MS, deletes this device's old copies
   * whose replacement has its copies, and asks the linked devices that can take it.
   */
  flush(): Promise<void> {
    return this.serial(async () => {
      const now = this.node.clock();
      const all = await this.load();
      if (all.length === 0) return;
      const entries = all.filter((e) => now - e.at < KEEP_MS);
      let changed = entries.length !== all.length;
      for (const e of entries) {
        if (e.replaced) continue;
        const held = (await this.holders.holdersOf(fromHex(e.by))).filter((h) => h.status === 'held');
        if (held.length < this.replicas) continue;
        await this.deleteOwn(fromHex(e.old));
        e.replaced = true;
        changed = true;
      }
      if (changed) await this.save(entries);
      for (const s of this.node.onlineSessions()) {
        if (!s.features.has(FEATURE)) continue;
        const due = entries
          .filter((e) => e.replaced && !e.done.includes(s.deviceId))
          .map((e) => fromHex(e.old));
        for (let i = 0; i < due.length; i += ARCHIVE_DROP_MAX_BLOBS)
          s.send({
            v: 1,
            t: 'archive-drop',
            owner: this.node.userId,
            blobs: due.slice(i, i + ARCHIVE_DROP_MAX_BLOBS),
          });
      }
    });
  }

  /** This device's copy (and with it its ledger rows); a blob a list still points to stays. */
  private async deleteOwn(id: Uint8Array): Promise<boolean> {
    try {
      await this.blobs.delete(this.node.userId, id);
      return true;
    } catch (err) {
      if (isKithError(err, 'ARCHIVE_BLOB_IN_USE')) return false;
      throw err;
    }
  }

  /** A holder says it holds none of these any more: it is not asked again. */
  onDropped(session: PeerSession, message: Extract<ArchiveSessionMessage, { t: 'archive-dropped' }>) {
    const gone = new Set(message.blobs.map((b) => toHex(b)));
    return this.serial(async () => {
      const entries = await this.load();
      let changed = false;
      for (const e of entries)
        if (gone.has(e.old) && !e.done.includes(session.deviceId)) {
          e.done.push(session.deviceId);
          changed = true;
        }
      if (changed) await this.save(entries);
    });
  }

  /**
   * Holder side: the owner's device asks to delete blobs of its own user. Deleted only where held
   * and sealed to a device the owner's log (our copy) lists as revoked: an own device cannot
   * make holders drop what is sealed to today's devices (a stolen one, before its revocation,
   * could otherwise delete the whole archive). A blob a list points to stays. Answered with the
   * ids no longer held here (deleted, or never held).
   */
  async onDrop(session: PeerSession, message: Extract<ArchiveSessionMessage, { t: 'archive-drop' }>) {
    if (message.owner !== session.userId) return; // a device speaks for its own user only
    // Each held blob costs an envelope signature check: out of the peer's work budget.
    await this.node.budgetFor(session).spend(message.blobs.length);
    const revoked = new Set(
      (await this.node.identity.devicesOf(message.owner))
        .filter((d) => d.status === 'revoked')
        .map((d) => toHex(d.staticPublicKey)),
    );
    const gone: Uint8Array[] = [];
    for (const id of message.blobs) {
      const blob = await this.blobs.get(message.owner, id);
      if (blob && !sealedToRevoked(blob.ciphertext, revoked)) continue;
      try {
        if (blob) await this.blobs.delete(message.owner, id);
        gone.push(id);
      } catch (err) {
        if (!isKithError(err, 'ARCHIVE_BLOB_IN_USE')) throw err;
      }
    }
    if (gone.length > 0) {
      this.node.log.info(
        { peer: session.deviceId, blobs: gone.length },
        'archive: dropped superseded copies',
      );
      session.send({ v: 1, t: 'archive-dropped', blobs: gone });
    }
  }
}

/** Whether an envelope names a revoked device's key among its recipients (false if it is none). */
function sealedToRevoked(ciphertext: Uint8Array, revoked: ReadonlySet<string>): boolean {
  try {
    return verifyEnvelope(ciphertext).recipients.some((k) => revoked.has(toHex(k)));
  } catch {
    return false;
  }
}
