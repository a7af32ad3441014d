/**
 * Sending what is undelivered (docs/DESIGN.md §7): each outbox item goes straight to its target
 * on a live link, otherwise to a peer that gossiped a route to it, otherwise to the target
 * user's listed relays (or every online peer), until the target's "delivered" receipt ends it.
 */
import { toHex } from '@kith/core/crypto/index';
import type { PeerNode } from '../peer/peer-node.ts';
import type { PeerSession } from '../peer/peer-session.ts';
import { ROUTE_WAIT_PUMPS, nextRouteHop } from '../peer/reachability.ts';
import type { MessageRepository } from '../repositories/message-repository.ts';
import { type Kind, itemKey, sendDeliver } from './deliver.ts';

/** An undelivered item is offered again to the same relays after this many pump intervals. */
const REOFFER_AFTER_PUMPS = 15;
/**
 * An item its target could not store (a full disk: `deliver-refused`, docs/PROTOCOL.md §10) goes
 * to it again on the same link after this many pump intervals (10 s at the default 2 s).
 */
export const RETRY_REFUSED_AFTER_PUMPS = 5;

export class OutboxPump {
  /**
   * item/target -> the peer sessions it was handed to while the target was offline, and when.
   * Keyed by session, not device: a peer that restarted gets it again (what it held in memory,
   * or a socket that was dying, may be gone). Re-offered after a while, in case a relay lost it
   * or its receipt got lost.
   */
  private readonly handedTo = new Map<string, { sessions: Set<PeerSession>; at: number }>();
  /**
   * item/target -> the live session it went out on. A link is reliable and ordered, so an item
   * is sent again only on a new session to its target, never on a timer (a timed resend to a
   * busy peer only doubles its work: ARCHITECTURE "Messaging performance").
   */
  private readonly sentOn = new Map<string, PeerSession>();
  /** item/target -> when an item its target refused (could not store) may go to it again. */
  private readonly retryAt = new Map<string, number>();
  private pumping = false;
  private repump = false;

  constructor(
    private readonly node: PeerNode,
    private readonly repo: MessageRepository,
    private readonly options: { pumpMs: number },
    /** Drops expired held items; runs at the start of each pump. */
    private readonly expireHeld: () => Promise<void>,
  ) {}

  private get clock() {
    return this.node.clock;
  }
  private get me() {
    return this.node.deviceId;
  }

  /** Sends a stored item to each target that has a live link; false if any was not reached. */
  sendNow(kind: Kind, item: Uint8Array, id: Uint8Array, targets: string[]): boolean {
    const hex = toHex(id);
    let all = true;
    for (const target of targets) {
      const session = this.node.session(target);
      if (session && sendDeliver(session, kind, item, [target], 0, this.me)) {
        this.sentOn.set(itemKey(hex, target), session);
      } else {
        all = false;
      }
    }
    return all;
  }

  /** The target confirmed the item: it is offered to no one again. */
  delivered(idHex: string, target: string): void {
    this.handedTo.delete(itemKey(idHex, target));
    this.sentOn.delete(itemKey(idHex, target));
    this.retryAt.delete(itemKey(idHex, target));
  }

  /**
   * The target said on `session` that it could not store the item (its disk was full): it is
   * sent again on that same link after RETRY_REFUSED_AFTER_PUMPS intervals. Without this it
   * waited for the next link, and a link to an always-on relay may last for days.
   */
  refused(idHex: string, target: string, session: PeerSession): void {
    const key = itemKey(idHex, target);
    if (this.sentOn.get(key) !== session) return;
    this.sentOn.delete(key);
    this.retryAt.set(key, this.clock() + this.options.pumpMs * RETRY_REFUSED_AFTER_PUMPS);
  }

  /**
   * Sends what is undelivered and not already on a live link to its target: direct on a new
   * session, otherwise via online peers. Runs on a timer, when a peer comes online and after a
   * batch with offline targets; reads item bytes only for what it sends.
   */
  async pump(): Promise<void> {
    if (this.pumping) {
      this.repump = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.repump = false;
        await this.expireHeld();
        const rows = await this.repo.outboxDue(2000);
        const now = this.clock();
        const relaysOf = new Map<string, Set<string>>();
        const due: {
          row: (typeof rows)[number];
          key: string;
          peers: PeerSession[];
          handed?: { sessions: Set<PeerSession>; at: number };
        }[] = [];
        for (const row of rows) {
          const key = itemKey(toHex(row.itemId), row.targetDevice);
          const direct = this.node.session(row.targetDevice);
          if (direct) {
            if (this.sentOn.get(key) !== direct && (this.retryAt.get(key) ?? 0) <= now)
              due.push({ row, key, peers: [direct] });
            continue;
          }
          let entry = this.handedTo.get(key);
          if (entry && now - entry.at > this.options.pumpMs * REOFFER_AFTER_PUMPS) entry = undefined;
          const handed = entry?.sessions ?? new Set<PeerSession>();
          // Reach routing (docs/DESIGN.md §7, peer/reachability.ts): a peer that gossiped a route to the
          // target goes before the relays, one at a time: each has ROUTE_WAIT_PUMPS intervals to
          // bring the receipt before the next is tried.
          const hop = nextRouteHop(
            this.node.routesTo(row.targetDevice),
            handed,
            entry?.at ?? now,
            now,
            this.options.pumpMs * ROUTE_WAIT_PUMPS,
          );
          if (hop === 'wait') continue;
          if (hop) {
            due.push({ row, key, peers: [hop], handed: { sessions: handed, at: entry?.at ?? now } });
            this.node.options.events.publish('message.routed', {
              item: toHex(row.itemId),
              target: row.targetDevice,
              via: hop.deviceId,
            });
            continue;
          }
          // The target user's listed relays first; only with none online, every peer (§10).
          const relays = await this.relaysFor(row.targetDevice, relaysOf);
          const online = this.node.onlineSessions();
          const listed = online.filter((p) => relays.has(p.deviceId));
          const peers = (listed.length ? listed : online).filter((peer) => !handed.has(peer));
          if (peers.length) due.push({ row, key, peers, handed: { sessions: handed, at: entry?.at ?? now } });
        }
        if (due.length === 0) continue;
        const bytes = await this.repo.itemBytes(due.map((d) => d.row));
        for (const { row, key, peers, handed } of due) {
          const item = bytes.get(toHex(row.itemId));
          if (!item) continue;
          if (!handed) {
            const direct = peers[0]!;
            if (sendDeliver(direct, row.kind as Kind, item, [row.targetDevice], 0, this.me)) {
              this.sentOn.set(key, direct);
              this.retryAt.delete(key);
            }
            continue;
          }
          for (const peer of peers) {
            if (sendDeliver(peer, row.kind as Kind, item, [row.targetDevice], 0, this.me))
              handed.sessions.add(peer);
          }
          if (handed.sessions.size) this.handedTo.set(key, handed);
        }
      } while (this.repump);
    } catch (err) {
      this.node.log.warn({ err }, 'messenger: pump failed');
    } finally {
      this.pumping = false;
    }
  }

  /** The devices on the target device's user's signed relay list (empty when we hold none). */
  private async relaysFor(targetDevice: string, cache: Map<string, Set<string>>): Promise<Set<string>> {
    const cached = cache.get(targetDevice);
    if (cached) return cached;
    const row = await this.node.identity.device(targetDevice);
    const list = row ? await this.node.relayLists.repository.get(row.userId) : undefined;
    const relays = new Set((list?.relays ?? []).filter((d) => d !== targetDevice && d !== this.me));
    cache.set(targetDevice, relays);
    return relays;
  }
}
