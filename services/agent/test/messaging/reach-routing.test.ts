/**
 * Reachability learned from gossip (docs/DESIGN.md §7, docs/PROTOCOL.md §11): real nodes in this
 * process (real links on loopback, real PGlite). A, N, B and M are four users: A–N, N–B and
 * A–B are friends, M is a friend of N only. A cannot link to B (B moved to an address A never
 * learns); A learns from N's reach gossip that N reaches B, and A's items for B go through N.
 * When B drops, N withdraws the route and A stops using it.
 */
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressRecords, peers, relayQueue } from '@kith/db/schema';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { pairInProcess, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import { openDatabase } from '@kith/db/database';
import type { AgentEvent } from '../../src/event-bus.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';

/** Starts a node again on its data dir (keys and database as they are), at another host. */
function restartInProcessNode(dir: string, host: string): Promise<RunningNode> {
  return runNode({
    flags: { data: dir, host, peerPort: '0', apiPort: '0', heartbeatMeanMs: '300', logLevel: 'silent' },
    env: { KITH_PORT_WINDOWS: 'off' },
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
  });
}

describe('reach gossip', () => {
  let dir: string;
  let a: RunningNode;
  let n: RunningNode;
  let b: RunningNode;
  let m: RunningNode;
  let bDevice: string;
  const events: AgentEvent[] = [];
  const dbOf = (x: RunningNode) => x.node.options.components.db.db;

  beforeAll(async () => {
    dir = await makeTempDir('kith-reach-');
    [a, n, b, m] = await Promise.all([
      startInProcessNode(join(dir, 'a'), '127.0.0.2'),
      startInProcessNode(join(dir, 'n'), '127.0.0.3'),
      startInProcessNode(join(dir, 'b'), '127.0.0.4'),
      startInProcessNode(join(dir, 'm'), '127.0.0.5'),
    ]);
    bDevice = b.node.deviceId;
    await pairInProcess(a, n);
    await pairInProcess(b, n);
    await pairInProcess(a, b);
    await pairInProcess(m, n);
    // B's relay list names A and N (friends relay by default): N may tell A of B's devices.
    await waitFor("N holds B's list naming A and N", async () => {
      const list = await n.node.relayLists.repository.get(b.node.userId);
      const relays: readonly string[] = list?.relays ?? [];
      return relays.includes(a.node.deviceId) && relays.includes(n.node.deviceId);
    });
    // Cut A from B: B forgets where A is and comes back at another host, which only its own
    // devices or B itself could tell A (a friend passes on only its own devices' records).
    await b.shutdown();
    const bDb = await openDatabase({ dataDir: join(dir, 'b') });
    await bDb.db.delete(addressRecords).where(eq(addressRecords.deviceId, a.node.deviceId));
    await bDb.db.update(peers).set({ lastAddress: null }).where(eq(peers.deviceId, a.node.deviceId));
    await bDb.close();
    b = await restartInProcessNode(join(dir, 'b'), '127.0.0.6');
    a.node.options.events.subscribe((e) => events.push(e));
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a, n, b, m].map((x) => x?.shutdown()));
  }, 60_000);

  it('A learns from N that B is reachable through N, and N tells A nothing of M', async () => {
    await waitFor('N linked to B again', async () => n.node.session(bDevice) !== undefined);
    const viaN = await waitFor('A has a route to B', async () => {
      const routes = a.node.routesTo(bDevice);
      return routes.length ? routes : undefined;
    });
    expect(viaN.map((s) => s.deviceId)).toEqual([n.node.deviceId]);
    expect(a.node.session(bDevice)).toBeUndefined();
    expect(a.node.reach.table.routesTo(bDevice, Date.now())).toEqual([{ via: n.node.deviceId, distance: 2 }]);
    // What N tells A: B (A's friend, whose list names both) and never M (not A's friend).
    const toA = await n.node.reach.advertisementFor(n.node.session(a.node.deviceId)!);
    expect(toA[bDevice]).toBe(1);
    expect(toA).not.toHaveProperty(m.node.deviceId);
    // N's own devices would hear of M; A is not one of them. M hears of N's user only.
    const toM = await n.node.reach.advertisementFor(n.node.session(m.node.deviceId)!);
    expect(Object.keys(toM)).toEqual([]);
  }, 60_000);

  it("A's message for B goes through N, chosen by route, and is not held there", async () => {
    const sent = await a.messenger.sendText({ to: b.node.userId }, 'through N');
    await waitFor('B has the message', async () =>
      (await b.messenger.list()).some((x) => x.text === 'through N'),
    );
    const routed = events.filter((e) => e.type === 'message.routed' && e.data.target === bDevice);
    expect(routed.map((e) => e.data.item)).toContain(sent.id);
    expect(routed.every((e) => e.data.via === n.node.deviceId)).toBe(true);
    // Delivered by forwarding, never by a direct link, and N held nothing for B.
    expect(a.node.session(bDevice)).toBeUndefined();
    expect(await dbOf(n).select().from(relayQueue).where(eq(relayQueue.targetDevice, bDevice))).toEqual([]);
    await waitFor("A has B's delivered receipt", async () =>
      (await a.messenger.list()).find((x) => x.id === sent.id)?.delivered.includes(bDevice),
    );
  }, 60_000);

  it('when B drops, N withdraws the route and A stops using it', async () => {
    const before = events.length;
    await b.shutdown();
    await waitFor('A has no route to B', async () => a.node.routesTo(bDevice).length === 0);
    // Withdrawn by N's update over a link that stayed up (not by expiry, which is 10 s away).
    expect(a.node.session(n.node.deviceId)).toBeDefined();
    const changes = events.slice(before).filter((e) => e.type === 'reach.changed');
    expect(changes.some((e) => e.data.from === n.node.deviceId && e.data.cause === 'update')).toBe(true);
    expect(changes.some((e) => e.data.cause === 'expired')).toBe(false);
    // A's next item for B is no longer routed: it goes to B's relays (N holds it).
    const mark = events.length;
    await a.messenger.sendText({ to: b.node.userId }, 'for later');
    await waitFor(
      'N holds items for B',
      async () =>
        (await dbOf(n).select().from(relayQueue).where(eq(relayQueue.targetDevice, bDevice))).length > 0,
    );
    expect(events.slice(mark).some((e) => e.type === 'message.routed')).toBe(false);
  }, 60_000);
});
