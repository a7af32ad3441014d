/**
 * Reach gossip on the peer network (docs/DESIGN.md §7, docs/PROTOCOL.md §11): keeps the routing table
 * (reachability.ts) fed from `reach` messages and tells each linked peer what this node
 * reaches. No timers of its own: a link coming up or going down and a changed table send at
 * once, at most one message per link per `minIntervalMs` (what is held back goes at the
 * peer node's next dial tick); a link's list is sent again, changed or not, at the first
 * heartbeat from the peer after `refreshMs`, which keeps it from expiring.
 *
 * Sharing rule (docs/SECURITY.md "Reach gossip"): our own devices hear of every device we
 * reach. A friend's device hears only of devices of its own user, of our user, and of a third
 * user whose signed relay list (which that user sends to all its friends) names devices of both
 * the friend's user and ours: the friend already knows from that list that we are both that
 * user's friends, so the route tells it nothing new about who knows whom.
 */
import type { MessageOf } from '@kith/core/wire/message';
import type { ReachMessage } from '@kith/core/wire/reach';
import type { PeerNodeBase } from './peer-node-base.ts';
import type { PeerSession } from './peer-session.ts';
import { type LearnedRoute, RoutingTable, reachAudience } from './reachability.ts';

export interface ReachTiming {
  /** Learned routes not refreshed for this long are dropped. */
  expiryMs: number;
  /** Least time between two reach messages on one link. */
  minIntervalMs: number;
  /** A link's list goes again, unchanged or not, at its first heartbeat after this long. */
  refreshMs: number;
}

/**
 * Scaled from the heartbeat mean: refreshed about once a heartbeat, gone after six missed (at
 * least 10 s: expiry is only the safety net, a dropped link withdraws its routes at once).
 */
export function defaultReachTiming(heartbeatMeanMs: number): ReachTiming {
  return {
    expiryMs: Math.max(10_000, 6 * heartbeatMeanMs),
    minIntervalMs: Math.min(1000, Math.max(50, Math.round(heartbeatMeanMs / 4))),
    refreshMs: heartbeatMeanMs,
  };
}

interface LinkState {
  lastSentAt: number;
  /** The last list sent, as a string to compare. */
  last: string;
  pending: boolean;
  /** Send even when unchanged (a new link, a refresh). */
  force: boolean;
}

export class ReachGossip {
  readonly table: RoutingTable;
  private readonly links = new WeakMap<PeerSession, LinkState>();
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly node: PeerNodeBase,
    readonly timing: ReachTiming,
  ) {
    this.table = new RoutingTable({ self: node.deviceId, expiryMs: timing.expiryMs });
  }

  /** A link is up (its hello arrived): it is one link away and gets our list now. */
  onLinkUp(session: PeerSession): void {
    this.table.linkUp(session.deviceId, session.userId, this.node.clock());
    this.links.set(session, { lastSentAt: Number.NEGATIVE_INFINITY, last: '', pending: true, force: true });
    this.changed();
  }

  /** A link is down: its routes are withdrawn at once and the others are told. */
  onLinkDown(session: PeerSession): void {
    this.links.delete(session);
    if (this.table.linkDown(session.deviceId)) this.changed();
  }

  /** A heartbeat from the peer: time to refresh its copy of our list? */
  onHeartbeat(session: PeerSession): void {
    const state = this.links.get(session);
    if (!state || this.node.clock() - state.lastSentAt < this.timing.refreshMs) return;
    state.pending = true;
    state.force = true;
    void this.flush();
  }

  async onReach(session: PeerSession, message: MessageOf<typeof ReachMessage>): Promise<void> {
    // Only the current link to that device speaks for it.
    if (this.node.session(session.deviceId) !== session) return;
    // Routes only to devices we would send to: active devices of our user and of friends.
    const devices = new Map((await this.node.identity.allDevices()).map((d) => [d.deviceId, d]));
    const friends = new Set((await this.node.friends.list()).map((f) => f.userId));
    const learned: LearnedRoute[] = [];
    for (const [device, distance] of Object.entries(message.routes)) {
      const row = devices.get(device);
      if (row?.status !== 'active') continue;
      if (row.userId !== this.node.userId && !friends.has(row.userId)) continue;
      learned.push({ device, user: row.userId, distance });
    }
    if (this.table.update(session.deviceId, message.seq, learned, this.node.clock())) {
      this.node.options.events.publish('reach.changed', { from: session.deviceId, cause: 'update' });
      this.changed();
    }
  }

  /** From the peer node's dial tick: expire stale routes, send what the rate limit held back. */
  tick(): void {
    if (this.table.expire(this.node.clock())) {
      this.node.options.events.publish('reach.changed', { cause: 'expired' });
      this.changed();
      return;
    }
    if (this.node.onlineSessions().some((s) => this.links.get(s)?.pending)) void this.flush();
  }

  private changed(): void {
    for (const s of this.node.onlineSessions()) {
      const state = this.links.get(s);
      if (state) state.pending = true;
    }
    void this.flush();
  }

  /** Sends each due link its list (serialised; failures are logged, never thrown). */
  flush(): Promise<void> {
    this.chain = this.chain
      .then(() => this.flushNow())
      .catch((err) => this.node.log.warn({ err }, 'reach: sending the lists failed'));
    return this.chain;
  }

  private async flushNow(): Promise<void> {
    const now = this.node.clock();
    const due = this.node.onlineSessions().filter((s) => {
      const state = this.links.get(s);
      return state?.pending === true && now - state.lastSentAt >= this.timing.minIntervalMs;
    });
    if (due.length === 0) return;
    const mayKnow = await this.audience();
    for (const session of due) {
      const state = this.links.get(session);
      if (!state) continue; // the link went down while the rule was read
      const routes = this.table.advertisement(session.deviceId, now, (_device, user) =>
        mayKnow(session.userId, user),
      );
      const text = JSON.stringify(routes);
      state.pending = false;
      if (text === state.last && !state.force) continue;
      if (session.send({ v: 1, t: 'reach', seq: this.seq, routes })) {
        this.seq += 1;
        state.last = text;
        state.lastSentAt = now;
        state.force = false;
      } else {
        state.pending = true; // a full send queue: the next tick tries again
      }
    }
  }

  /** The sharing rule above (reachAudience) over what this node holds now. */
  private async audience(): Promise<(receiver: string, user: string) => boolean> {
    const userOf = new Map((await this.node.identity.allDevices()).map((d) => [d.deviceId, d.userId]));
    return reachAudience(this.node.userId, await this.node.relayLists.repository.all(), userOf);
  }

  /** What this node would tell `session` now (for tests and diagnostics). */
  async advertisementFor(session: PeerSession): Promise<Record<string, number>> {
    const mayKnow = await this.audience();
    return this.table.advertisement(session.deviceId, this.node.clock(), (_d, user) =>
      mayKnow(session.userId, user),
    );
  }
}
