/**
 * The reach routing table (peer/reachability.ts, docs/DESIGN.md §7): a synchronous simulation of nodes
 * that exchange their lists in rounds, as the reach gossip does over links.
 */
import { REACH_MAX_DISTANCE } from '@kith/core/wire/reach';
import { describe, expect, it } from 'vitest';
import { type LearnedRoute, RoutingTable, nextRouteHop, reachAudience } from '../../src/peer/reachability.ts';

const EXPIRY = 10_000;

/** Nodes named by letter, each its own user; links both ways. */
class Net {
  readonly tables = new Map<string, RoutingTable>();
  private seq = 0;
  now = 0;
  constructor(readonly splitHorizon = true) {}

  table(x: string): RoutingTable {
    let t = this.tables.get(x);
    if (!t) {
      t = new RoutingTable({ self: x, expiryMs: EXPIRY });
      this.tables.set(x, t);
    }
    return t;
  }

  link(x: string, y: string): this {
    this.table(x).linkUp(y, y, this.now);
    this.table(y).linkUp(x, x, this.now);
    return this;
  }

  unlink(x: string, y: string): void {
    this.table(x).linkDown(y);
    this.table(y).linkDown(x);
  }

  /** What x tells y; without split horizon, x's whole table (the classic mistake). */
  private says(x: string, y: string): LearnedRoute[] {
    const t = this.table(x);
    const routes = this.splitHorizon
      ? t.advertisement(y, this.now)
      : Object.fromEntries(
          [...t.best(this.now)]
            .filter(([d, b]) => d !== y && b.route.distance < t.maxDistance)
            .map(([d, b]) => [d, b.route.distance]),
        );
    return Object.entries(routes).map(([device, distance]) => ({ device, user: device, distance }));
  }

  /** Everyone tells every linked peer its list at once; returns whether any table changed. */
  round(): boolean {
    const messages: [string, string, LearnedRoute[]][] = [];
    for (const [x] of this.tables)
      for (const [y] of this.tables)
        if (x !== y && this.table(x).isLinked(y)) messages.push([x, y, this.says(x, y)]);
    this.seq += 1;
    let changed = false;
    for (const [x, y, routes] of messages)
      changed = this.table(y).update(x, this.seq, routes, this.now) || changed;
    return changed;
  }

  /** Rounds until nothing changes; returns how many it took. */
  converge(limit = 20): number {
    for (let i = 1; i <= limit; i++) if (!this.round()) return i;
    throw new Error('did not converge');
  }

  routes(x: string, target: string) {
    return this.table(x).routesTo(target, this.now);
  }
}

describe('routing table', () => {
  it('a line A–N–B: A reaches B through N in two links, and N reaches both directly', () => {
    const net = new Net().link('A', 'N').link('N', 'B');
    net.converge();
    expect(net.routes('A', 'B')).toEqual([{ via: 'N', distance: 2 }]);
    expect(net.routes('B', 'A')).toEqual([{ via: 'N', distance: 2 }]);
    expect(net.routes('N', 'B')).toEqual([{ via: 'B', distance: 1 }]);
    // Never a route to oneself.
    expect(net.routes('A', 'A')).toEqual([]);
  });

  it('routes stop at the distance bound: three links yes, four no', () => {
    const net = new Net().link('A', 'N').link('N', 'M').link('M', 'B').link('B', 'C');
    net.converge();
    expect(REACH_MAX_DISTANCE).toBe(3);
    expect(net.routes('A', 'B')).toEqual([{ via: 'N', distance: 3 }]);
    expect(net.routes('A', 'C')).toEqual([]);
    // No one advertises a distance the wire format would refuse.
    for (const t of net.tables.values())
      for (const y of net.tables.keys())
        if (t.isLinked(y))
          for (const d of Object.values(t.advertisement(y, net.now)))
            expect(d).toBeLessThan(REACH_MAX_DISTANCE);
  });

  it('a triangle with a tail: the shorter route first, the longer one kept as a second choice', () => {
    const net = new Net().link('A', 'N').link('A', 'M').link('N', 'M').link('N', 'B');
    net.converge();
    expect(net.routes('A', 'B')).toEqual([
      { via: 'N', distance: 2 },
      { via: 'M', distance: 3 },
    ]);
    // Split horizon: N is never told of a route to B through itself.
    expect(net.routes('N', 'B')).toEqual([{ via: 'B', distance: 1 }]);
    expect(net.table('A').advertisement('N', net.now)).not.toHaveProperty('B');
    expect(net.table('A').advertisement('M', net.now)).toEqual({ N: 1, B: 2 });
  });

  it('a dropped link withdraws its routes at once, and the next round withdraws them further on', () => {
    const net = new Net().link('A', 'N').link('N', 'B');
    net.converge();
    net.unlink('N', 'B');
    expect(net.routes('N', 'B')).toEqual([]);
    net.round();
    expect(net.routes('A', 'B')).toEqual([]);
    // A link dropped at the other end: everything learned through it goes too.
    net.link('N', 'B');
    net.converge();
    expect(net.routes('A', 'B')).toHaveLength(1);
    expect(net.table('A').linkDown('N')).toBe(true);
    expect(net.routes('A', 'B')).toEqual([]);
  });

  it('no counting to infinity: with split horizon no ghost route ever appears after a drop', () => {
    for (const build of [
      (n: Net) => n.link('A', 'N').link('N', 'B'),
      (n: Net) => n.link('A', 'N').link('A', 'M').link('N', 'M').link('N', 'B'),
    ]) {
      const net = build(new Net());
      net.converge();
      net.unlink('N', 'B');
      // N lost B; with split horizon nobody tells N of B again, in any round.
      for (let i = 0; i < 6; i++) {
        net.round();
        expect(net.routes('N', 'B')).toEqual([]);
        for (const [x] of net.tables)
          for (const r of net.routes(x, 'B')) expect(r.distance).toBeLessThanOrEqual(REACH_MAX_DISTANCE);
      }
      for (const x of ['A', 'M', 'N']) expect(net.routes(x, 'B')).toEqual([]);
    }
  });

  it('the same drop without split horizon does bring a ghost back (what the test guards against)', () => {
    const net = new Net(false).link('A', 'N').link('N', 'B');
    net.converge();
    net.unlink('N', 'B');
    net.round();
    // A told N of its (stale) route to B through N: N now "reaches" B through A.
    expect(net.routes('N', 'B')).toEqual([{ via: 'A', distance: 3 }]);
    // The distance bound still ends it within a few rounds.
    net.converge();
    expect(net.routes('N', 'B')).toEqual([]);
  });

  it('learned routes expire when not refreshed; the link itself stays', () => {
    const net = new Net().link('A', 'N').link('N', 'B');
    net.converge();
    const a = net.table('A');
    expect(a.expire(net.now + EXPIRY)).toBe(false);
    expect(a.routesTo('B', net.now + EXPIRY + 1)).toEqual([]);
    expect(a.expire(net.now + EXPIRY + 1)).toBe(true);
    expect(a.routesTo('N', net.now + EXPIRY + 1)).toEqual([{ via: 'N', distance: 1 }]);
    // A refresh brings them back.
    net.now += EXPIRY + 1;
    net.round();
    expect(net.routes('A', 'B')).toEqual([{ via: 'N', distance: 2 }]);
  });

  it('an old seq is ignored; a new link starts over; unlinked peers and bad entries are not heard', () => {
    const t = new RoutingTable({ self: 'A', expiryMs: EXPIRY });
    t.linkUp('N', 'n', 0);
    const b = { device: 'B', user: 'b', distance: 1 };
    expect(t.update('N', 5, [b], 0)).toBe(true);
    expect(t.update('N', 5, [], 0)).toBe(false);
    expect(t.update('N', 4, [], 0)).toBe(false);
    expect(t.routesTo('B', 0)).toEqual([{ via: 'N', distance: 2 }]);
    t.linkUp('N', 'n', 0); // the peer restarted: its counter starts again
    expect(t.routesTo('B', 0)).toEqual([]);
    expect(t.update('N', 0, [b], 0)).toBe(true);
    expect(t.update('X', 9, [b], 0)).toBe(false);
    // Routes to ourselves, to the sender itself and past the bound are dropped.
    expect(
      t.update(
        'N',
        1,
        [
          { device: 'A', user: 'a', distance: 1 },
          { device: 'N', user: 'n', distance: 1 },
          { device: 'C', user: 'c', distance: REACH_MAX_DISTANCE },
        ],
        0,
      ),
    ).toBe(true);
    expect(t.best(0).size).toBe(1);
  });

  it('the advertisement leaves out what the receiver may not know', () => {
    const net = new Net().link('A', 'N').link('N', 'B').link('N', 'C');
    net.converge();
    expect(net.table('N').advertisement('A', net.now, (d) => d !== 'C')).toEqual({ B: 1 });
  });
});

describe('sharing rule', () => {
  const userOf = new Map([
    ['a1', 'alice'],
    ['n1', 'nate'],
    ['b1', 'bob'],
    ['m1', 'mia'],
  ]);
  it('own devices hear everything; a friend its own, ours, and users whose relay list names both', () => {
    const lists = [
      { userId: 'bob', relays: ['b1', 'a1', 'n1'] },
      { userId: 'mia', relays: ['m1', 'n1'] },
    ];
    const may = reachAudience('nate', lists, userOf);
    expect(may('nate', 'mia')).toBe(true); // our own device
    expect(may('alice', 'alice')).toBe(true);
    expect(may('alice', 'nate')).toBe(true);
    expect(may('alice', 'bob')).toBe(true); // Bob told Alice he relays through Nate
    expect(may('alice', 'mia')).toBe(false); // Alice may not know Mia and Nate are friends
    // Bob dropping Nate from his list: Alice no longer hears of Bob's devices from Nate.
    const without = reachAudience('nate', [{ userId: 'bob', relays: ['b1', 'a1'] }], userOf);
    expect(without('alice', 'bob')).toBe(false);
  });
});

describe('next route hop', () => {
  const handed = (...xs: string[]) => new Set(xs);
  it('tries routes one at a time, each given its wait, then leaves the rest to the relays', () => {
    expect(nextRouteHop([], handed(), 0, 0, 10)).toBeUndefined();
    expect(nextRouteHop(['N', 'M'], handed(), 0, 0, 10)).toBe('N');
    expect(nextRouteHop(['N', 'M'], handed('N'), 0, 9, 10)).toBe('wait');
    expect(nextRouteHop(['N', 'M'], handed('N'), 0, 10, 10)).toBe('M');
    expect(nextRouteHop(['N', 'M'], handed('N', 'M'), 0, 19, 10)).toBe('wait');
    expect(nextRouteHop(['N', 'M'], handed('N', 'M'), 0, 20, 10)).toBeUndefined();
    // Handed to relays before any route existed: the new route is tried at once.
    expect(nextRouteHop(['N'], handed('R'), 0, 1, 10)).toBe('N');
  });
});
