/**
 * Relay lists (docs/DESIGN.md §7, docs/PROTOCOL.md §10): four real nodes in this process (real links on
 * loopback, real PGlite). B's signed list reaches its friend A and names B's relays; with B
 * offline, A hands B's items to B's listed relay N and not to M, a friend of B that B did not
 * list, while N is online; with N offline too, A falls back to every online peer.
 */
import { join } from 'node:path';
import { signRelayList, verifyRelayList } from '@kith/core/relay-list';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { friends, relayQueue } from '@kith/db/schema';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { pairInProcess, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import type { RunningNode } from '../../src/node.ts';

describe('relay lists', () => {
  let a: RunningNode;
  let b: RunningNode;
  let n: RunningNode;
  let m: RunningNode;
  const dbOf = (x: RunningNode) => x.node.options.components.db.db;
  const heldFor = async (holder: RunningNode, target: string) =>
    dbOf(holder).select().from(relayQueue).where(eq(relayQueue.targetDevice, target));

  beforeAll(async () => {
    const dir = await makeTempDir('kith-relay-list-');
    [a, b, n, m] = await Promise.all([
      startInProcessNode(join(dir, 'a'), '127.0.0.2'),
      startInProcessNode(join(dir, 'b'), '127.0.0.3'),
      startInProcessNode(join(dir, 'n'), '127.0.0.4'),
      startInProcessNode(join(dir, 'm'), '127.0.0.5'),
    ]);
    await pairInProcess(a, b);
    await pairInProcess(a, n);
    await pairInProcess(a, m);
    await pairInProcess(b, n);
    await pairInProcess(b, m);
    await waitFor('A linked to B, N and M', async () =>
      [b, n, m].every((x) => a.node.session(x.node.deviceId) !== undefined),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a, b, n, m].map((x) => x?.shutdown()));
  }, 60_000);

  it("B's signed list reaches A after pairing and names B's relays", async () => {
    // Every friend relays by default: B's own device and its three friends' devices.
    const expected = [b, n, m, a].map((x) => x.node.deviceId).sort();
    await waitFor("A holds B's list with B, N, M and A", async () => {
      const list = await a.node.relayLists.repository.get(b.node.userId);
      return JSON.stringify(list?.relays) === JSON.stringify(expected);
    });
    const list = (await a.node.relayLists.repository.get(b.node.userId))!;
    expect(list.userId).toBe(b.node.userId);
    expect(list.signerId).toBe(b.node.deviceId);
    // A friend gets only its friends' own lists: N holds B's and A's, never M's (not N's friend).
    await waitFor(
      "N holds A's list",
      async () => (await n.node.relayLists.repository.get(a.node.userId)) !== undefined,
    );
    expect(await n.node.relayLists.repository.get(m.node.userId)).toBeUndefined();
  }, 60_000);

  it('the repository keeps the highest seq and refuses a list not signed by that user', async () => {
    const repo = a.node.relayLists.repository;
    const current = (await repo.get(b.node.userId))!;
    // An older list of B's (as B signed it) does not replace the newer one.
    expect(await repo.offer(verifyRelayList(current.bytes))).toBe(false);
    // N signing "B's" list with a higher seq: N is not a device of B.
    const forged = verifyRelayList(
      signRelayList(n.node.options.device.keys.signing, {
        user: b.node.userId,
        seq: current.seq + 10,
        relays: [n.node.deviceId],
        issuedAt: Date.now(),
      }),
    );
    expect(await repo.offer(forged)).toBe(false);
    expect((await repo.get(b.node.userId))!.seq).toBe(current.seq);
  });

  it('with B offline, A hands B’s items to its listed relay N and not to unlisted M', async () => {
    // B stops relaying through M: its list is re-signed without M and gossiped to A.
    await dbOf(b).update(friends).set({ relay: false }).where(eq(friends.userId, m.node.userId));
    await b.node.relayLists.refresh();
    const listed = [b, n, a].map((x) => x.node.deviceId).sort();
    await waitFor("A holds B's list without M", async () => {
      const list = await a.node.relayLists.repository.get(b.node.userId);
      return JSON.stringify(list?.relays) === JSON.stringify(listed);
    });
    const bDevice = b.node.deviceId;
    await b.shutdown();
    await waitFor('A sees B offline', async () => a.node.session(bDevice) === undefined);

    await a.messenger.sendText({ to: b.node.userId }, 'for B, via its relay');
    await waitFor('N holds items for B', async () => (await heldFor(n, bDevice)).length > 0);
    // A marker on the A→M link: links keep order, so anything A had handed M for B came first.
    await a.messenger.sendText({ to: m.node.userId }, 'marker');
    await waitFor('M has the marker', async () =>
      (await m.messenger.list()).some((x) => x.text === 'marker'),
    );
    expect(await heldFor(m, bDevice)).toHaveLength(0);

    // N goes offline too: no listed relay is online, so every online peer is tried, and M holds.
    const nDevice = n.node.deviceId;
    await n.shutdown();
    await waitFor('A sees N offline', async () => a.node.session(nDevice) === undefined);
    await a.messenger.sendText({ to: b.node.userId }, 'for B, any relay');
    await waitFor('M holds items for B', async () => (await heldFor(m, bDevice)).length > 0);
    const owners = (await heldFor(m, bDevice)).map((r) => r.ownerUser);
    expect(owners.every((o) => o === a.node.userId)).toBe(true);
  }, 120_000);
});
