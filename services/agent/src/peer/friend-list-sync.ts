/**
 * The friend list kept in sync across the user's own devices (docs/PROTOCOL.md "Friend list",
 * core friend-list.ts): a friend confirmed on one device (the six digits are compared there,
 * once) is a friend of every device of the user, and a friend removed on one is removed on all.
 *
 * Each device keeps its merged view in `kv` (`friend-entry:USER` = { state, at }); the `friends`
 * table is what admission, dialling and relaying read, and follows the view. The view goes, signed
 * by this device, to each own device when their link comes up and to all of them at each change.
 * A received list counts only when signed by an active device of our own user (our copy of our
 * log), so a friend cannot inject an entry and a revoked device's word is ignored.
 */
import {
  type FriendEntry,
  type FriendState,
  entryWins,
  normaliseFriendEntries,
  signFriendList,
  verifyFriendList,
} from '@kith/core/friend-list';
import { isKithError } from '@kith/core/errors';
import type { FriendListMessage } from '@kith/core/wire/friend-list';
import type { MessageOf } from '@kith/core/wire/message';
import { kv } from '@kith/db/schema';
import { eq, like } from 'drizzle-orm';
import type { PeerNode } from './peer-node.ts';
import type { PeerSession } from './peer-session.ts';
import { removeFriend } from './unfriend.ts';

const PREFIX = 'friend-entry:';
/** FriendRepository's block rows (friend-repository.ts). */
const BLOCKED = 'blocked:';

export class FriendListSync {
  /** The highest stamp seen, so a local change stamps above it (hybrid clock). */
  private highest = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly node: PeerNode) {}

  private get db() {
    return this.node.options.components.db.db;
  }

  /**
   * The merged view: stored entries, plus what predates the list: friends (stamped when added)
   * and blocked users (stamped when blocked).
   */
  async entries(): Promise<FriendEntry[]> {
    const rows = await this.db
      .select()
      .from(kv)
      .where(like(kv.key, `${PREFIX}%`));
    const stored = new Map<string, FriendEntry>();
    for (const r of rows) {
      const v = r.value as { state?: unknown; at?: unknown };
      const user = r.key.slice(PREFIX.length);
      if ((v.state === 'friend' || v.state === 'removed') && typeof v.at === 'number')
        stored.set(user, { user, state: v.state, at: v.at });
    }
    for (const f of await this.node.friends.list()) {
      if (!stored.has(f.userId))
        stored.set(f.userId, { user: f.userId, state: 'friend', at: f.addedAt.getTime() });
    }
    // An unfriend from before this list: a tombstone stamped when the block was made.
    for (const b of await this.db
      .select()
      .from(kv)
      .where(like(kv.key, `${BLOCKED}%`))) {
      const user = b.key.slice(BLOCKED.length);
      if (!stored.has(user)) stored.set(user, { user, state: 'removed', at: b.updatedAt.getTime() });
    }
    const out = [...stored.values()];
    for (const e of out) this.highest = Math.max(this.highest, e.at);
    return out;
  }

  private async store(entry: FriendEntry): Promise<void> {
    const value = { state: entry.state, at: entry.at };
    const updatedAt = new Date(this.node.clock());
    this.highest = Math.max(this.highest, entry.at);
    await this.db
      .insert(kv)
      .values({ key: PREFIX + entry.user, value, updatedAt })
      .onConflictDoUpdate({ target: kv.key, set: { value, updatedAt } });
  }

  /** One change at a time: a local decision and a received list never interleave. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => {});
    return next;
  }

  /**
   * A decision made on this device (a confirmed pairing, an unfriend, a recovery's invite giver):
   * stamped above everything seen, stored, and sent to every own device linked now.
   */
  record(user: string, state: FriendState): Promise<void> {
    return this.serial(async () => {
      await this.entries(); // brings `highest` up to date
      // Always a new stamp, even for the same state: a decision made now wins over older ones.
      await this.store({ user, state, at: Math.max(this.node.clock(), this.highest + 1) });
      await this.broadcast();
    });
  }

  /** Our list, signed now by this device; undefined while locked (it cannot sign). */
  async signed(): Promise<Uint8Array | undefined> {
    if (this.node.locked) return undefined;
    return signFriendList(this.node.options.device.keys.signing, {
      user: this.node.userId,
      issuedAt: this.node.clock(),
      entries: normaliseFriendEntries(await this.entries()),
    });
  }

  /** To every ready link of our own user except `except`: never to a friend. */
  private async broadcast(except?: PeerSession): Promise<void> {
    const own = this.node.onlineSessions().filter((s) => s.userId === this.node.userId && s !== except);
    if (own.length === 0) return;
    const list = await this.signed();
    if (list) for (const s of own) s.send({ v: 1, t: 'friend-list', list });
  }

  /** A link to one of our own devices came up: it gets our view. */
  async onHello(session: PeerSession): Promise<void> {
    if (session.userId !== this.node.userId) return;
    const list = await this.signed();
    if (list) session.send({ v: 1, t: 'friend-list', list });
  }

  /** A list from a link: merged only from our own user's active devices, entry by entry. */
  async onFriendList(session: PeerSession, message: MessageOf<typeof FriendListMessage>): Promise<void> {
    if (session.userId !== this.node.userId) return; // a friend has no say in our friend list
    await this.node.budgetFor(session).spend(1);
    let list: ReturnType<typeof verifyFriendList>;
    try {
      list = verifyFriendList(message.list);
    } catch (err) {
      this.node.log.warn({ code: isKithError(err) ? err.code : undefined }, 'friend list: refused');
      return;
    }
    const signer = await this.node.identity.deviceBySigningKey(list.signingKey);
    if (
      list.userId !== this.node.userId ||
      signer?.userId !== this.node.userId ||
      signer.status !== 'active'
    ) {
      this.node.log.warn({ from: session.deviceId }, 'friend list: not signed by an active device of ours');
      return;
    }
    await this.serial(() => this.merge(list.entries, session));
  }

  /**
   * A list read back from the archive after a recovery (restore-friends.ts, which checked who
   * signed it): merged like a received one, then passed on to our linked devices.
   */
  restore(entries: readonly FriendEntry[]): Promise<void> {
    return this.serial(() => this.merge(entries, undefined));
  }

  private async merge(entries: readonly FriendEntry[], from: PeerSession | undefined): Promise<void> {
    const current = new Map((await this.entries()).map((e) => [e.user, e]));
    let changed = false;
    let added = false;
    for (const entry of entries) {
      if (entry.user === this.node.userId || !entryWins(entry, current.get(entry.user))) continue;
      await this.store(entry);
      changed = true;
      const isFriend = await this.node.friends.isFriend(entry.user);
      if (entry.state === 'friend' && !isFriend) {
        // Chosen in person on another of our devices: that choice holds here too.
        await this.node.friends.unblock(entry.user);
        await this.node.friends.add(entry.user, (await this.node.identity.state(entry.user))?.name || null);
        this.node.options.events.publish('friend.added', {
          userId: entry.user,
          via: from?.deviceId ?? 'archive',
        });
        added = true;
      } else if (entry.state === 'removed' && isFriend) {
        await removeFriend(this.node, entry.user);
      }
    }
    if (!changed) return;
    this.node.options.events.publish('friends.synced', { from: from?.deviceId ?? 'archive' });
    // Passed on, so own devices that are not linked to each other converge through this one.
    await this.broadcast(from);
    if (added) {
      // The friend's log: asked of the device that knew them, if we lack it.
      for (const e of entries) {
        if (from && e.state === 'friend' && !(await this.node.identity.state(e.user)))
          from.send({ v: 1, t: 'log-request', user: e.user, fromSeq: 0 });
      }
      void this.node.dialDue();
    }
  }

  /** The entry of one user, if any (for tests and views). */
  async entryOf(user: string): Promise<FriendEntry | undefined> {
    const rows = await this.db
      .select()
      .from(kv)
      .where(eq(kv.key, PREFIX + user))
      .limit(1);
    const v = rows[0]?.value as { state?: FriendState; at?: number } | undefined;
    return v?.state && typeof v.at === 'number' ? { user, state: v.state, at: v.at } : undefined;
  }
}
