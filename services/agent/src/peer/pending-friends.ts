/**
 * Friends waiting for the six digits (docs/SECURITY.md "Pairing", docs/PROTOCOL.md §9 step 5).
 * When a friend pairing's handshake completes, each side holds the other here, not in `friends`:
 * the person compares the short authentication string with the other screen and confirms
 * (the friendship becomes active on this side) or rejects (the pairing ends and the user is
 * forgotten). Until then this side shares nothing with them: admission, dialling, messaging,
 * relaying, address records and archive items all ask `friends`, where a pending user is not.
 *
 * A pending pairing expires after PENDING_FRIEND_TTL_MS (one hour) without a confirm on this
 * side: it ends as a reject would. A reject or an expiry is told to the other side over the
 * pairing's own link while it is still up (pairing-links.ts), and theirs ends this side's
 * pairing; what ended, and why, is kept for an hour (`pairing-ended:USER`) so the person sees
 * "NAME rejected the pairing" rather than a bare "not pending".
 *
 * Kept in `kv` under `pending-friend:USER` (one row per user; a new pairing replaces it).
 */
import { KithError } from '@kith/core/errors';
import { type EndedPairing, endedSentence } from '@kith/core/pairing/ended-pairing';
import { addressRecords, devices, identityLogEntries, kv, peers } from '@kith/db/schema';
import { eq, inArray, like } from 'drizzle-orm';
import type { Link } from '../link/link.ts';
import { PairingLinks } from './pairing-links.ts';
import type { PeerNode } from './peer-node.ts';
import { unfriend } from './unfriend.ts';

/** How long a pairing waits for this side's person to confirm the six digits. */
export const PENDING_FRIEND_TTL_MS = 60 * 60_000;

export interface PendingFriend {
  userId: string;
  name: string | null;
  /** The device that paired. */
  deviceId: string;
  /** The six digits both screens show. */
  sas: string;
  /** Which end of the invite this side was. */
  side: 'inviter' | 'acceptor';
  since: string;
  /** When it ends by itself if this side's person has not confirmed (since + the TTL). */
  expiresAt: string;
  /** Whether this node knew the user's log before the pairing (then a reject keeps it). */
  knownBefore: boolean;
  /** Already an active friend before this pairing (then the friendship stays either way). */
  wasFriend: boolean;
}

export type { EndedPairing };

export interface FriendDecision {
  userId: string;
  state: 'active' | 'forgotten';
}

const PREFIX = 'pending-friend:';
const ENDED = 'pairing-ended:';

export class PendingFriends {
  /** How long a pairing waits; a test may shorten it before pairing. */
  ttlMs = PENDING_FRIEND_TTL_MS;
  readonly links: PairingLinks;
  /** Remembers, for a held link, what this side knew before the pairing (a later reject of theirs). */
  private readonly confirmedHere = new Map<string, Pick<PendingFriend, 'knownBefore' | 'wasFriend'>>();
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly node: PeerNode) {
    this.links = new PairingLinks(node, (userId, reason) => this.theyEnded(userId, reason));
  }

  /** Ends what expired while the agent was down, then each pairing as it expires. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.expire();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.expiryTimer);
    this.links.stop();
  }

  /** Keeps the pairing's link up while the digits are compared (pairing-links.ts). */
  holdLink(userId: string, link: Link): void {
    // A little past the expiry, so an expiry on this side is still told over it.
    this.links.hold(userId, link, this.ttlMs + 30_000);
  }

  private get db() {
    return this.node.options.components.db.db;
  }

  /** What `hold` needs to know before the pairing merges the user's log. */
  async before(userId: string): Promise<Pick<PendingFriend, 'knownBefore' | 'wasFriend'>> {
    return {
      knownBefore: (await this.node.identity.state(userId)) !== undefined,
      wasFriend: await this.node.friends.isFriend(userId),
    };
  }

  async hold(pending: Omit<PendingFriend, 'since' | 'expiresAt'>): Promise<void> {
    const now = this.node.clock();
    const value: PendingFriend = {
      ...pending,
      since: new Date(now).toISOString(),
      expiresAt: new Date(now + this.ttlMs).toISOString(),
    };
    const earlier = await this.get(pending.userId);
    // A second pairing with the same user before the first was decided: the first's facts stand.
    if (earlier) {
      value.knownBefore = earlier.knownBefore;
      value.wasFriend = earlier.wasFriend;
    }
    await this.db
      .insert(kv)
      .values({ key: PREFIX + pending.userId, value: { ...value }, updatedAt: new Date(now) })
      .onConflictDoUpdate({ target: kv.key, set: { value: { ...value }, updatedAt: new Date(now) } });
    await this.db.delete(kv).where(eq(kv.key, ENDED + pending.userId));
    this.confirmedHere.delete(pending.userId);
    this.schedule();
    this.node.options.events.publish('friend.pending', {
      userId: pending.userId,
      deviceId: pending.deviceId,
      side: pending.side,
    });
  }

  async get(userId: string): Promise<PendingFriend | undefined> {
    const rows = await this.db
      .select()
      .from(kv)
      .where(eq(kv.key, PREFIX + userId))
      .limit(1);
    return rows[0]?.value as PendingFriend | undefined;
  }

  async list(): Promise<PendingFriend[]> {
    await this.expire();
    return this.stored();
  }

  private async stored(): Promise<PendingFriend[]> {
    const rows = await this.db
      .select()
      .from(kv)
      .where(like(kv.key, `${PREFIX}%`));
    return rows
      .map((r) => r.value as unknown as PendingFriend)
      .sort((a, b) => a.since.localeCompare(b.since));
  }

  /** Pairings that ended without a friendship in the last hour, newest first. */
  async ended(): Promise<EndedPairing[]> {
    const rows = await this.db
      .select()
      .from(kv)
      .where(like(kv.key, `${ENDED}%`));
    const cutoff = this.node.clock() - PENDING_FRIEND_TTL_MS;
    const old = rows.filter((r) => Date.parse((r.value as unknown as EndedPairing).at) < cutoff);
    if (old.length)
      await this.db.delete(kv).where(
        inArray(
          kv.key,
          old.map((r) => r.key),
        ),
      );
    return rows
      .filter((r) => !old.includes(r))
      .map((r) => r.value as unknown as EndedPairing)
      .sort((a, b) => b.at.localeCompare(a.at));
  }

  /** Ends every pairing whose time ran out, as a reject would, and tells the other side. */
  async expire(): Promise<void> {
    const now = this.node.clock();
    for (const p of await this.stored()) {
      if (Date.parse(p.expiresAt ?? p.since) > now) continue;
      await this.end(p, { by: 'me', reason: 'expired' });
    }
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.expiryTimer);
    if (this.stopped) return;
    void this.stored()
      .then((all) => {
        const next = Math.min(...all.map((p) => Date.parse(p.expiresAt ?? p.since)));
        if (this.stopped || !Number.isFinite(next)) return;
        clearTimeout(this.expiryTimer);
        this.expiryTimer = setTimeout(
          () => {
            this.expire().catch((err) => this.node.log.warn({ err }, 'ending expired pairings failed'));
          },
          Math.max(0, next - this.node.clock()) + 200,
        );
        this.expiryTimer.unref?.();
      })
      .catch(() => undefined);
  }

  /** The digits matched: the friendship is active on this side from now on. */
  async confirm(userId: string): Promise<FriendDecision> {
    await this.expire();
    const pending = await this.get(userId);
    if (!pending) {
      if (await this.node.friends.isFriend(userId)) return { userId, state: 'active' };
      throw await this.notPending(userId);
    }
    // A new invite used in person and confirmed: the person chose this user again.
    await this.node.friends.unblock(userId);
    const name = (await this.node.identity.state(userId))?.name || pending.name;
    await this.node.friends.add(userId, name || null);
    await this.db.delete(kv).where(eq(kv.key, PREFIX + userId));
    if (this.links.isHeld(userId))
      this.confirmedHere.set(userId, { knownBefore: pending.knownBefore, wasFriend: pending.wasFriend });
    // Confirmed once, here: every other device of ours learns it through the friend list.
    await this.node.friendList.record(userId, 'friend');
    this.node.options.events.publish('friend.added', { userId, via: 'pairing' });
    this.node.log.info({ user: userId }, 'friend confirmed');
    void this.node.dialDue();
    return { userId, state: 'active' };
  }

  /**
   * The digits differ (someone may be in the middle), or the person said no: the pairing ends,
   * and the other side is told over the pairing's link if it is still up.
   */
  async reject(userId: string): Promise<FriendDecision> {
    await this.expire();
    const pending = await this.get(userId);
    if (!pending) throw await this.notPending(userId);
    await this.end(pending, { by: 'me', reason: 'rejected' });
    return { userId, state: 'forgotten' };
  }

  /** The other side rejected (or let it expire): this side's pairing ends as well. */
  private async theyEnded(userId: string, reason: EndedPairing['reason']): Promise<void> {
    const pending = await this.get(userId);
    if (pending) return void (await this.end(pending, { by: 'them', reason }));
    // This side had confirmed already: the friendship this pairing made ends here too.
    const before = this.confirmedHere.get(userId);
    this.confirmedHere.delete(userId);
    if (!before || before.wasFriend || !(await this.node.friends.isFriend(userId))) return;
    const name = (await this.node.identity.state(userId))?.name || null;
    await unfriend(this.node, userId);
    await this.noteEnded({ userId, name, by: 'them', reason, at: new Date(this.node.clock()).toISOString() });
  }

  /**
   * Ends a pending pairing. A user this node did not know before is forgotten: log, devices,
   * address records, link statistics. A friend from before stays a friend (their log was
   * already checked).
   */
  private async end(pending: PendingFriend, how: Pick<EndedPairing, 'by' | 'reason'>): Promise<void> {
    const { userId } = pending;
    if (how.by === 'me') this.links.tell(userId, how.reason);
    else this.links.release(userId);
    await this.db.delete(kv).where(eq(kv.key, PREFIX + userId));
    const name = (await this.node.identity.state(userId))?.name || pending.name;
    if (!pending.knownBefore && !pending.wasFriend && !(await this.node.friends.isFriend(userId))) {
      const theirs = (await this.node.identity.devicesOf(userId)).map((d) => d.deviceId);
      await this.db.transaction(async (tx) => {
        if (theirs.length) {
          await tx.delete(addressRecords).where(inArray(addressRecords.deviceId, theirs));
          await tx.delete(peers).where(inArray(peers.deviceId, theirs));
        }
        await tx.delete(devices).where(eq(devices.userId, userId));
        await tx.delete(identityLogEntries).where(eq(identityLogEntries.userId, userId));
      });
      this.node.closeLinksOf(userId);
    }
    await this.noteEnded({ userId, name, ...how, at: new Date(this.node.clock()).toISOString() });
    this.node.log.info(
      { user: userId, by: how.by, reason: how.reason },
      how.reason === 'expired' ? 'pairing expired before the six digits were confirmed' : 'pairing rejected',
    );
  }

  private async noteEnded(ended: EndedPairing): Promise<void> {
    const value = { ...ended } as Record<string, unknown>;
    await this.db
      .insert(kv)
      .values({ key: ENDED + ended.userId, value, updatedAt: new Date(this.node.clock()) })
      .onConflictDoUpdate({ target: kv.key, set: { value, updatedAt: new Date(this.node.clock()) } });
    this.node.options.events.publish('friend.rejected', { ...ended });
  }

  /** Why no pairing with `userId` waits: it ended (and how), or there never was one. */
  private async notPending(userId: string): Promise<KithError> {
    const ended = (await this.ended()).find((e) => e.userId === userId);
    return ended ? new KithError('PAIRING_NOT_PENDING', endedSentence(ended)) : notPending(userId);
  }
}

function notPending(userId: string): KithError {
  return new KithError(
    'PAIRING_NOT_PENDING',
    `No pairing with ${userId} waits for the six digits (see \`kith friends\`).`,
  );
}
