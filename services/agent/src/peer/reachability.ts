/**
 * Reachability learned from gossip (docs/DESIGN.md §7 "a connected peer that can reach them"): a
 * distance-vector table over this node's links. Each linked peer tells us, in `reach` messages
 * (docs/PROTOCOL.md §11), the devices it reaches and in how many links; we reach them through
 * it in one link more. Loops are kept out by split horizon (a peer is never told of routes
 * that go through itself, so two nodes cannot count up through each other), by the distance
 * bound (REACH_MAX_DISTANCE, beyond it a route does not exist, so longer cycles die within a
 * few updates) and on the data path by the `deliver` hop count. Pure: no timers, no I/O; the
 * caller passes the time.
 */
import { REACH_MAX_DISTANCE, REACH_MAX_ROUTES } from '@kith/core/wire/reach';

export interface RoutingTableOptions {
  /** This node's device id: never a route target. */
  self: string;
  /** Longest route kept, in links (default REACH_MAX_DISTANCE). */
  maxDistance?: number;
  /** Learned routes not refreshed for this long are gone (the peer's link itself stays). */
  expiryMs: number;
}

/** A way to a device: through the linked peer `via`, in `distance` links (1: `via` is it). */
export interface Route {
  via: string;
  distance: number;
}

/** A device a peer says it reaches, with the user it belongs to (for the sharing rule). */
export interface LearnedRoute {
  device: string;
  user: string;
  /** As the peer advertised it: links from the peer, not from us. */
  distance: number;
}

interface Neighbour {
  user: string;
  /** Highest `seq` seen on this link; -1 before the first message. */
  seq: number;
  /** When the peer last sent its list: its routes expire `expiryMs` later. */
  at: number;
  routes: Map<string, { user: string; distance: number }>;
}

export class RoutingTable {
  readonly self: string;
  readonly maxDistance: number;
  readonly expiryMs: number;
  private readonly neighbours = new Map<string, Neighbour>();

  constructor(options: RoutingTableOptions) {
    this.self = options.self;
    // The wire carries distances below REACH_MAX_DISTANCE only.
    this.maxDistance = Math.min(options.maxDistance ?? REACH_MAX_DISTANCE, REACH_MAX_DISTANCE);
    this.expiryMs = options.expiryMs;
  }

  /** A link is up: the peer is one link away; anything an earlier link to it said is forgotten. */
  linkUp(peer: string, user: string, now: number): void {
    this.neighbours.set(peer, { user, seq: -1, at: now, routes: new Map() });
  }

  /** A link is down: every route through it is withdrawn now. Returns whether there was one. */
  linkDown(peer: string): boolean {
    return this.neighbours.delete(peer);
  }

  isLinked(peer: string): boolean {
    return this.neighbours.has(peer);
  }

  /**
   * A peer's complete list replaces what it said before (so a device left out is withdrawn).
   * Ignored when the peer is not linked or `seq` is not above the last one seen. Routes to
   * ourselves, to the peer itself and beyond the distance bound are dropped. Returns whether
   * the best route to any device changed.
   */
  update(peer: string, seq: number, routes: Iterable<LearnedRoute>, now: number): boolean {
    const n = this.neighbours.get(peer);
    if (!n || seq <= n.seq) return false;
    const before = this.snapshot(now);
    n.seq = seq;
    n.at = now;
    n.routes = new Map();
    for (const r of routes) {
      if (r.device === this.self || r.device === peer) continue;
      if (r.distance < 1 || r.distance + 1 > this.maxDistance) continue;
      const had = n.routes.get(r.device);
      if (!had || r.distance < had.distance) n.routes.set(r.device, { user: r.user, distance: r.distance });
    }
    return before !== this.snapshot(now);
  }

  /** Drops the learned routes of peers that stopped refreshing them; returns whether any were. */
  expire(now: number): boolean {
    let changed = false;
    for (const n of this.neighbours.values()) {
      if (n.routes.size && this.stale(n, now)) {
        n.routes = new Map();
        changed = true;
      }
    }
    return changed;
  }

  /** Every way to `target`, best (fewest links) first; the direct link, if any, is distance 1. */
  routesTo(target: string, now: number, maxDistance = this.maxDistance): Route[] {
    const out: Route[] = [];
    if (target === this.self) return out;
    if (this.neighbours.has(target)) out.push({ via: target, distance: 1 });
    for (const [via, n] of this.neighbours) {
      if (via === target || this.stale(n, now)) continue;
      const r = n.routes.get(target);
      if (r && r.distance + 1 <= maxDistance) out.push({ via, distance: r.distance + 1 });
    }
    return out.sort((a, b) => a.distance - b.distance || (a.via < b.via ? -1 : a.via > b.via ? 1 : 0));
  }

  /** Every device we reach, with its best route and its user. */
  best(now: number, except?: string): Map<string, { route: Route; user: string }> {
    const out = new Map<string, { route: Route; user: string }>();
    const offer = (device: string, user: string, route: Route) => {
      const had = out.get(device);
      if (
        !had ||
        route.distance < had.route.distance ||
        (route.distance === had.route.distance && route.via < had.route.via)
      )
        out.set(device, { route, user });
    };
    for (const [via, n] of this.neighbours) {
      if (via === except) continue;
      offer(via, n.user, { via, distance: 1 });
      if (this.stale(n, now)) continue;
      for (const [device, r] of n.routes) {
        if (device === except || r.distance + 1 > this.maxDistance) continue;
        offer(device, r.user, { via, distance: r.distance + 1 });
      }
    }
    return out;
  }

  /**
   * What we tell `peer`: each device we reach by a route that does not go through `peer`
   * (split horizon) and is short enough that the peer's route stays within the bound, and that
   * `allowed` lets this peer know of. The nearest REACH_MAX_ROUTES, as device → distance.
   */
  advertisement(
    peer: string,
    now: number,
    allowed: (device: string, user: string) => boolean = () => true,
  ): Record<string, number> {
    const entries = [...this.best(now, peer)]
      .filter(([device, b]) => b.route.distance < this.maxDistance && allowed(device, b.user))
      .map(([device, b]) => [device, b.route.distance] as const)
      .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, REACH_MAX_ROUTES);
    return Object.fromEntries(entries);
  }

  private stale(n: Neighbour, now: number): boolean {
    return now - n.at > this.expiryMs;
  }

  /** The best distance and next hop per device, as one string to compare. */
  private snapshot(now: number): string {
    return [...this.best(now)]
      .map(([d, b]) => `${d}:${b.route.via}:${b.route.distance}`)
      .sort()
      .join(',');
  }
}

/** Pump intervals a routed peer has to bring the receipt before the next route is tried. */
export const ROUTE_WAIT_PUMPS = 5;

/**
 * The next peer to hand an item to among those with a route to its target (best first), one at
 * a time: each gets `waitMs` to deliver before the next is tried, counted from the first
 * hand-off of the item (`firstAt`). `'wait'` while the last one still has time; undefined when
 * there is no route or every route was tried, so the caller goes on to the relays.
 */
export function nextRouteHop<T>(
  routes: readonly T[],
  handed: ReadonlySet<T>,
  firstAt: number,
  now: number,
  waitMs: number,
): T | 'wait' | undefined {
  const tried = routes.filter((r) => handed.has(r)).length;
  const next = routes.find((r) => !handed.has(r));
  if (tried === 0) return next;
  if (now - firstAt < tried * waitMs) return 'wait';
  return next;
}

/**
 * Who may hear of a route (docs/SECURITY.md "Reach gossip"), as (receiver's user, device's user)
 * → allowed. `me` is our user; `lists` the signed relay lists we hold and `userOf` maps device
 * ids to users. Our own devices hear of everything; a friend's device of its own user's
 * devices, of ours, and of a third user whose relay list names devices of both its user and
 * ours (that user told both of us, so a route reveals no friendship the friend did not know).
 */
export function reachAudience(
  me: string,
  lists: readonly { userId: string; relays: readonly string[] }[],
  userOf: ReadonlyMap<string, string>,
): (receiver: string, user: string) => boolean {
  const named = new Map<string, Set<string>>();
  for (const list of lists) {
    const users = new Set<string>();
    for (const d of list.relays) {
      const u = userOf.get(d);
      if (u) users.add(u);
    }
    named.set(list.userId, users);
  }
  return (receiver, user) => {
    if (receiver === me || user === receiver || user === me) return true;
    const n = named.get(user);
    return n?.has(receiver) === true && n.has(me);
  };
}
