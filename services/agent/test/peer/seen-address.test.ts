/**
 * Where peers say they see us goes into our signed address record, which every friend dials
 * (docs/SECURITY.md "A friend turned hostile"). A friend must not steer it alone: only IP
 * literals are taken, a malformed host never sticks, and a host is announced only once two
 * distinct users reported it. Three nodes in this process, real PGlite and loopback links; the
 * friends send hand-made heartbeats over their real links.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { pairInProcess, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import type { RunningNode } from '../../src/node.ts';

/** Generous: three nodes on PGlite start slowly on a busy machine. */
const WAIT_MS = 120_000;

describe('a friend’s sighting of our address', () => {
  let a: RunningNode;
  let b: RunningNode;
  let c: RunningNode;

  beforeAll(async () => {
    const dir = await makeTempDir('kith-seen-address-');
    [a, b, c] = await Promise.all([
      startInProcessNode(join(dir, 'a'), '127.0.0.71', { heartbeatMeanMs: 2000 }),
      startInProcessNode(join(dir, 'b'), '127.0.0.72', { heartbeatMeanMs: 2000 }),
      startInProcessNode(join(dir, 'c'), '127.0.0.73', { heartbeatMeanMs: 2000 }),
    ]);
    await pairInProcess(a, b);
    await pairInProcess(a, c);
    await waitFor(
      'B and C linked to A',
      async () => b.node.session(a.node.deviceId)?.ready && c.node.session(a.node.deviceId)?.ready,
      WAIT_MS,
    );
  }, 4 * WAIT_MS);

  afterAll(async () => {
    await Promise.all([a, b, c].map((n) => n?.shutdown()));
  });

  /** `from` tells A, in a heartbeat over their link, that it sees A at `seenAddress`. */
  function report(from: RunningNode, seenAddress: string): void {
    // A link may be being replaced right now: then this report is sent at the next poll.
    from.node
      .session(a.node.deviceId)
      ?.send({ v: 1, t: 'heartbeat', sentAt: Date.now(), echo: null, seenAddress, versions: [] });
  }

  it(
    'takes only IP literals, and only what two distinct users saw',
    async () => {
      const before = a.node.ownAddressRecord!;
      const port = Number(before.addresses[0]!.split(':').pop());
      // Each link delivers in order: once the last report is taken, the earlier ones were seen.
      // Sent again at each poll, in case a link is replaced meanwhile (sightings are sets).
      const sendAll = () => {
        for (const friend of [b, c]) {
          report(friend, 'a b:7000'); // malformed: would break every later signature
          report(friend, 'evil.example:7000'); // a name: every friend would look it up and dial it
        }
        report(b, '198.51.100.9:7000'); // B alone, however often
        report(b, '198.51.100.9:7001');
        report(b, '203.0.113.7:7000');
        report(c, '203.0.113.7:7002');
      };
      const record = await waitFor(
        'A announces the host both friends saw',
        async () => {
          const r = a.node.ownAddressRecord!;
          if (r.addresses.includes(`203.0.113.7:${port}`)) return r;
          sendAll();
          return undefined;
        },
        WAIT_MS,
        1000,
      );
      expect(record.seq).toBeGreaterThan(before.seq);
      expect(record.addresses).toEqual(expect.arrayContaining(before.addresses));
      expect(record.addresses).toHaveLength(before.addresses.length + 1);
      expect(record.addresses.join(' ')).not.toMatch(/a b|evil|198\.51/);
      expect(a.node.ownAddresses()).toEqual(record.addresses);
      // Friends receive the newly signed record.
      await waitFor(
        'B holds A’s new record',
        async () => {
          const atB = await b.node.addresses.get(a.node.deviceId);
          return atB !== undefined && atB.seq === record.seq;
        },
        WAIT_MS,
      );
    },
    3 * WAIT_MS,
  );
});
