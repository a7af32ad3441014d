/**
 * Holding items for friends' devices that are offline (store-and-forward, docs/DESIGN.md §7), within
 * quotas a friend cannot spend on anyone else (docs/SECURITY.md "Relay quotas"):
 *   - an item is held only when its signature verifies and its signer is the active device it
 *     claims as `origin`, of our user or a friend;
 *   - it counts against the user of the link that handed it over, never the user it names: a
 *     friend who passes on another user's items pays for them itself;
 *   - everything held for friends together stays under the global cap; our own user's items
 *     count against its own quota only, so friends filling the cap never crowd them out.
 * One item is checked at a time, each against what the one before it stored.
 */
import type { CryptoBackend } from '@kith/core/crypto/backend';
import { isKithError } from '@kith/core/errors';
import { verifyEnvelope } from '@kith/core/envelope';
import { verifyChatMessage } from '@kith/core/messaging/chat-message';
import type { DeliverMessage } from '@kith/core/wire/deliver';
import type { MessageOf } from '@kith/core/wire/message';
import { count, sum } from 'drizzle-orm';
import { relayQueue } from '@kith/db/schema';
import type { PeerNode } from '../peer/peer-node.ts';
import type { PeerSession } from '../peer/peer-session.ts';
import type { DirectoryCache } from './directory-cache.ts';

type Deliver = MessageOf<typeof DeliverMessage>;

export interface RelayQuotas {
  /** Ciphertext held for all friends together (our own user's items aside), bytes. */
  totalBytes: number;
  /** Ciphertext held per user (counted against the user whose link handed it over). */
  userBytes: number;
  userItems: number;
  /** Held items expire after this long. */
  holdMs: number;
}

interface Usage {
  bytes: number;
  items: number;
}

export class RelayHold {
  private chain: Promise<void> = Promise.resolve();
  /**
   * What is held, per paying user and for friends together, read once and kept up to date by
   * each hold; dropped when items leave (forgetUsage), so a flood costs no table scan per item.
   */
  private usage: { users: Map<string, Usage>; friends: Usage } | undefined;

  constructor(
    private readonly node: PeerNode,
    private readonly directory: DirectoryCache,
    private readonly backend: CryptoBackend,
    private readonly quotas: RelayQuotas,
    /** Sends the origin a "relayed" receipt for a held item. */
    private readonly confirm: (origin: string, target: string, id: Uint8Array) => void,
  ) {}

  private get db() {
    return this.node.options.components.db.db;
  }

  /** Holds one item for `target` (queued behind the others); settles once decided. */
  hold(from: PeerSession, m: Deliver, id: Uint8Array, target: string): Promise<void> {
    const held = this.chain.then(() => this.holdNow(from, m, id, target));
    // Logged here, never passed to the link: a failed hold must not close it.
    this.chain = held.catch((err) => {
      this.node.log.warn({ code: isKithError(err) ? err.code : undefined }, 'relay: could not hold an item');
    });
    return this.chain;
  }

  private async holdNow(from: PeerSession, m: Deliver, id: Uint8Array, target: string): Promise<void> {
    const targetRow = await this.node.identity.device(target);
    if (targetRow?.status !== 'active' || !(await this.directory.isRelated(targetRow.userId))) return;
    if (!(await this.signedByOrigin(m))) {
      this.node.options.events.publish('relay.refused', {
        by: from.deviceId,
        target,
        code: 'MESSAGE_INVALID',
      });
      this.node.log.info(
        { from: from.deviceId, kind: m.kind },
        'relay: refused an item its origin did not sign',
      );
      return;
    }
    const payer = from.userId;
    const own = payer === this.node.userId;
    const usage = await this.currentUsage();
    const mine = usage.users.get(payer) ?? { bytes: 0, items: 0 };
    const size = m.item.length;
    if (
      mine.bytes + size > this.quotas.userBytes ||
      mine.items + 1 > this.quotas.userItems ||
      (!own && usage.friends.bytes + size > this.quotas.totalBytes)
    ) {
      from.send({ v: 1, t: 'deliver-refused', item: id, target, code: 'RELAY_QUOTA' });
      this.node.options.events.publish('relay.refused', { owner: payer, target, code: 'RELAY_QUOTA' });
      this.node.log.info(
        { owner: payer, usedBytes: mine.bytes, usedItems: mine.items, friendsBytes: usage.friends.bytes },
        'relay: quota reached, refused an item',
      );
      return;
    }
    const now = this.node.clock();
    const inserted = await this.db
      .insert(relayQueue)
      .values({
        itemId: id,
        targetDevice: target,
        ownerUser: payer,
        origin: m.origin,
        kind: m.kind,
        item: m.item,
        size,
        createdAt: new Date(now),
        expiresAt: new Date(now + this.quotas.holdMs),
      })
      .onConflictDoNothing()
      .returning({ id: relayQueue.itemId });
    if (inserted.length) {
      if (this.usage === usage) {
        usage.users.set(payer, { bytes: mine.bytes + size, items: mine.items + 1 });
        if (!own) usage.friends.bytes += size;
      }
      this.node.options.events.publish('relay.held', { target, owner: payer });
      this.confirm(m.origin, target, id);
    }
  }

  /** Whether the item's signature verifies and its signer is the active device it names as origin. */
  private async signedByOrigin(m: Deliver): Promise<boolean> {
    let signingKey: Uint8Array;
    try {
      signingKey =
        m.kind === 'message'
          ? verifyChatMessage(m.item, this.backend).sender
          : verifyEnvelope(m.item, this.backend).sender;
    } catch {
      return false;
    }
    const signer = await this.directory.signer(signingKey);
    return signer?.deviceId === m.origin;
  }

  /** Held items left (delivered or expired): the usage is read again before the next hold. */
  forgetUsage(): void {
    this.usage = undefined;
  }

  private async currentUsage(): Promise<NonNullable<RelayHold['usage']>> {
    if (this.usage) return this.usage;
    const rows = await this.db
      .select({ user: relayQueue.ownerUser, bytes: sum(relayQueue.size), items: count() })
      .from(relayQueue)
      .groupBy(relayQueue.ownerUser);
    const usage = { users: new Map<string, Usage>(), friends: { bytes: 0, items: 0 } };
    for (const r of rows) {
      const u = { bytes: Number(r.bytes ?? 0), items: Number(r.items) };
      usage.users.set(r.user, u);
      if (r.user !== this.node.userId) {
        usage.friends.bytes += u.bytes;
        usage.friends.items += u.items;
      }
    }
    this.usage = usage;
    return usage;
  }
}
