/**
 * The relay side of messaging (docs/DESIGN.md §7): items for other devices are forwarded on a
 * live link or a gossiped route, or held (relay-hold.ts); what is held goes out on each new
 * link to its target until the target's "delivered" receipt passes through, or it expires.
 * What was kept for this device while it was locked is read at the unlock.
 */
import { toHex } from '@kith/core/crypto/index';
import { type ReceiptBatch, openReceipt } from '@kith/core/messaging/receipt';
import { MAX_HOPS } from '@kith/core/wire/deliver';
import type { PeerNode } from '../peer/peer-node.ts';
import type { PeerSession } from '../peer/peer-session.ts';
import type { RelayQueueRepository } from '../repositories/relay-queue-repository.ts';
import { type Deliver, type Kind, sendDeliver } from './deliver.ts';
import type { DirectoryCache } from './directory-cache.ts';
import type { OwnDevice } from './own-device.ts';
import type { RelayHold } from './relay-hold.ts';

export interface RelayForwardingDeps {
  /** Queues a receipt for an item (receipts.ts). */
  confirm: (origin: string, target: string, state: 'relayed', id: Uint8Array) => void;
  /** Sends what is undelivered (outbox-pump.ts). */
  pump: () => Promise<void>;
  /** Takes an item for this device as if it came now (inbox.ts). */
  accept: (
    kind: Kind,
    item: Uint8Array,
    origin: string,
    id: Uint8Array,
    from: PeerSession | undefined,
  ) => Promise<void>;
}

export class RelayForwarding {
  /**
   * target -> the link on which it refused an item we hold for it (it could not store it: a full
   * disk), and when what we hold goes to it again on that link (reflushDue).
   */
  private readonly refusedBy = new Map<string, { session: PeerSession; at: number }>();

  constructor(
    private readonly node: PeerNode,
    private readonly own: OwnDevice,
    private readonly held: RelayQueueRepository,
    private readonly relay: RelayHold,
    private readonly directory: DirectoryCache,
    private readonly options: { relayEnabled: boolean },
    private readonly deps: RelayForwardingDeps,
  ) {}

  /** Forward to a linked target, or hold for it if we relay for its user. */
  carry(from: PeerSession, m: Deliver, id: Uint8Array, target: string): Promise<void> {
    const next = this.node.session(target);
    if (next && next !== from) {
      if (sendDeliver(next, m.kind, m.item, [target], m.hops + 1, m.origin)) {
        if (m.kind !== 'receipt') this.deps.confirm(m.origin, target, 'relayed', id);
      }
      return Promise.resolve();
    }
    // Reach routing: a peer with a gossiped route, never the one the item came from, and only a
    // route short enough for the hops left (MAX_HOPS); else hold as before.
    const via = this.node.routesTo(target, MAX_HOPS - m.hops).find((p) => p !== from);
    if (via && sendDeliver(via, m.kind, m.item, [target], m.hops + 1, m.origin)) {
      this.node.options.events.publish('message.routed', { item: toHex(id), target, via: via.deviceId });
      if (m.kind !== 'receipt') this.deps.confirm(m.origin, target, 'relayed', id);
      return Promise.resolve();
    }
    if (!this.options.relayEnabled || m.kind === 'receipt') return Promise.resolve();
    return this.relay.hold(from, m, id, target);
  }

  /** A device came online: give it what we hold for it and what we owe it. */
  async flushTo(deviceId: string): Promise<void> {
    try {
      await this.flushHeld(deviceId);
    } catch (err) {
      // Runs from an event: logged, never an unhandled rejection.
      this.node.log.warn({ err, peer: deviceId }, 'messenger: flush failed');
    }
  }

  /**
   * Offers everything held for a device on its new session. Rows stay: a link can die right
   * after its hello (the tie-break of a simultaneous dial closes one of two) with the items in
   * flight, and the origin may be gone by then. A row ends only with the target's signed
   * "delivered" receipt (releaseHeld) or at expiry; each new session gets it again, and the
   * target takes it once (item id) and confirms duplicates too (PROTOCOL §10).
   */
  private async flushHeld(deviceId: string): Promise<void> {
    const session = this.node.session(deviceId);
    if (!session) return;
    const held = await this.held.heldFor(deviceId);
    for (const row of held) {
      if (!sendDeliver(session, row.kind as Kind, row.item, [deviceId], 1, row.origin)) break;
    }
    void this.deps.pump();
  }

  /**
   * The target could not store an item we brought it (`deliver-refused` DISK_FULL or INTERNAL):
   * what we hold for it goes again on the same link at `at` (a held item otherwise goes again
   * only on the next link, PROTOCOL §10).
   */
  refused(target: string, session: PeerSession, at: number): void {
    if (!this.refusedBy.has(target)) this.refusedBy.set(target, { session, at });
  }

  /** Runs with each pump: offers held items again to targets that refused them, when due. */
  async reflushDue(): Promise<void> {
    const now = this.own.clock();
    for (const [target, r] of this.refusedBy) {
      if (r.at > now) continue;
      this.refusedBy.delete(target);
      if (this.node.session(target) === r.session) await this.flushTo(target);
    }
  }

  /**
   * A receipt passing through (or coming back through) this relay: a "delivered" one signed by
   * its target's own active device ends what we hold for that target. Anything else is left to
   * the origin to judge; a bad receipt is dropped here without a word.
   */
  async releaseHeld(bytes: Uint8Array): Promise<void> {
    let r: ReceiptBatch;
    try {
      r = openReceipt(bytes, this.own.backend);
    } catch {
      return;
    }
    if (r.state !== 'delivered') return;
    const signer = await this.directory.signer(r.signer);
    if (signer?.deviceId !== r.target) return;
    const released = await this.held.release(r.target, r.items);
    if (released) this.relay.forgetUsage();
    if (released) this.node.options.events.publish('relay.released', { target: r.target, items: released });
  }

  async expireHeld(): Promise<void> {
    // What was kept for this device while it was locked waits for the unlock, however long.
    const gone = await this.held.expire(this.own.clock(), this.own.deviceId);
    if (gone) this.relay.forgetUsage();
  }

  /**
   * The device was unlocked: reads what was kept for it while locked, in arrival order, as if
   * it came now (stored, receipted, handed on), then drops the kept copies.
   */
  async keptForUnlock(): Promise<number> {
    const kept = await this.held.heldForInOrder(this.own.deviceId);
    await Promise.all(
      kept.map((row) => this.deps.accept(row.kind as Kind, row.item, row.origin, row.itemId, undefined)),
    );
    await this.held.drop(
      this.own.deviceId,
      kept.map((r) => r.itemId),
    );
    if (kept.length) this.relay.forgetUsage();
    return kept.length;
  }
}
