/**
 * Relay lists on the peer network (docs/DESIGN.md §7, docs/PROTOCOL.md §10): this node keeps its user's
 * signed list current (the user's own active devices, then the active devices of friends marked
 * `relay`, at most 64), re-signs it with seq + 1 whenever that set changes, and gossips lists the
 * way address records go: a friend gets our user's list, our own devices get every list we hold.
 */
import {
  MAX_RELAYS,
  type RelayList,
  normaliseRelays,
  signRelayList,
  verifyRelayList,
} from '@kith/core/relay-list';
import { MAX_RELAY_LISTS_PER_MESSAGE } from '@kith/core/wire/relay-lists';
import type { AgentEvent } from '../event-bus.ts';
import { RelayListRepository } from '../repositories/relay-list-repository.ts';
import type { PeerNodeBase } from './peer-node-base.ts';
import type { PeerSession } from './peer-session.ts';

/** Events after which the set of relays may have changed. */
const CHANGES = new Set([
  'pairing.completed',
  'friend.added',
  'friend.removed',
  'identity.updated',
  'device.revoked',
  'peer.online',
]);

export class RelayListGossip {
  readonly repository: RelayListRepository;
  private unsubscribe: (() => void) | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly node: PeerNodeBase) {
    const { db, clock } = node.options.components;
    this.repository = new RelayListRepository(db.db, clock, node.identity);
  }

  async start(): Promise<void> {
    this.unsubscribe = this.node.options.events.subscribe((e: AgentEvent) => {
      if (CHANGES.has(e.type)) void this.refresh();
    });
    await this.refresh();
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** The devices that relay for our user now: own active devices first, then relaying friends'. */
  async computeRelays(): Promise<string[]> {
    const own = (await this.node.identity.devicesOf(this.node.userId)).filter((d) => d.status === 'active');
    const relays = own.map((d) => d.deviceId);
    for (const friend of await this.node.friends.list()) {
      if (!friend.relay) continue;
      for (const d of await this.node.identity.devicesOf(friend.userId)) {
        if (d.status === 'active') relays.push(d.deviceId);
      }
    }
    return normaliseRelays(relays.slice(0, MAX_RELAYS));
  }

  /** Re-signs our list (seq + 1) when the relays changed, and sends it to every linked device. */
  refresh(): Promise<void> {
    this.chain = this.chain.then(
      () => this.refreshNow(),
      () => this.refreshNow(),
    );
    return this.chain.catch((err) => this.node.log.warn({ err }, 'relay list: refresh failed'));
  }

  private async refreshNow(): Promise<void> {
    const relays = await this.computeRelays();
    const current = await this.repository.get(this.node.userId);
    if (current && sameList(current.relays, relays)) {
      const signer = await this.node.identity.deviceBySigningKey(current.signingKey);
      if (signer?.status === 'active') return;
    }
    // Locked, the device key cannot sign; the list is refreshed at the unlock.
    if (this.node.locked) return;
    const bytes = signRelayList(this.node.options.device.keys.signing, {
      user: this.node.userId,
      seq: (current?.seq ?? -1) + 1,
      relays,
      issuedAt: this.node.clock(),
    });
    const list = verifyRelayList(bytes);
    if (!(await this.repository.offer(list))) return;
    this.node.log.info({ seq: list.seq, relays: relays.length }, 'own relay list updated');
    this.node.options.events.publish('relays.changed', { seq: list.seq, relays });
    for (const s of this.node.onlineSessions()) send(s, [bytes]);
  }

  /** On hello: a friend gets our user's list; our own device gets every list we hold. */
  async onHello(session: PeerSession): Promise<void> {
    if (session.userId === this.node.userId) {
      send(
        session,
        (await this.repository.all()).map((l) => l.bytes),
      );
    } else {
      const ours = await this.repository.get(this.node.userId);
      if (ours) send(session, [ours.bytes]);
    }
  }

  /**
   * A friend may tell us its own user's list; our own devices may tell us any of ours or our
   * friends'. A newer list is passed on: ours to every linked device, a friend's to our own devices.
   */
  async onRelayLists(session: PeerSession, lists: Uint8Array[]): Promise<void> {
    const fromOwn = session.userId === this.node.userId;
    for (const bytes of lists) {
      let list: RelayList;
      try {
        list = verifyRelayList(bytes);
      } catch {
        continue;
      }
      if (!fromOwn && list.userId !== session.userId) continue;
      if (list.userId !== this.node.userId && !(await this.node.friends.isFriend(list.userId))) continue;
      if (!(await this.repository.offer(list))) continue;
      this.node.options.events.publish('relays.updated', { userId: list.userId, seq: list.seq });
      const ours = list.userId === this.node.userId;
      for (const s of this.node.onlineSessions()) {
        if (s !== session && (ours || s.userId === this.node.userId)) send(s, [bytes]);
      }
    }
  }
}

function send(session: PeerSession, lists: Uint8Array[]): void {
  for (let i = 0; i < lists.length; i += MAX_RELAY_LISTS_PER_MESSAGE) {
    session.send({ v: 1, t: 'relay-lists', lists: lists.slice(i, i + MAX_RELAY_LISTS_PER_MESSAGE) });
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
