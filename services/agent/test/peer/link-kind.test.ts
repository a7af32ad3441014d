/**
 * Which way a link runs (peer/link-kind.ts, docs/PROTOCOL.md "Link kinds"): a link that came in
 * through a home router's port mapping is `mapped` on both sides. The accepting side sees it in
 * the dialer's hello; the dialer, to which a mapped port is a port like any other, learns it from
 * the `mapped-link` message. Two real agents in this process on loopback links; each one's
 * "router mapping" is its own listening address (a stand-in for the router: the netns tier has
 * the real one, test/netns/port-mapping.test.ts).
 */
import { join } from 'node:path';
import { MappedLinkMessage } from '@kith/core/wire/mapped-link';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { pairInProcess, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import { linkKind } from '../../src/peer/link-kind.ts';
import type { RunningNode } from '../../src/node.ts';
import type { PeerSession } from '../../src/peer/peer-session.ts';

/** Generous: nodes on PGlite start slowly on a busy machine. */
const WAIT_MS = 120_000;

describe('link kinds', () => {
  let a: RunningNode;
  let b: RunningNode;
  /** What each node's router mapping says it holds (externalAddresses()). */
  const mapped = new Map<RunningNode, string[]>();

  beforeAll(async () => {
    const dir = await makeTempDir('kith-link-kind-');
    [a, b] = await Promise.all([
      startInProcessNode(join(dir, 'a'), '127.0.0.161', { heartbeatMeanMs: 2000 }),
      startInProcessNode(join(dir, 'b'), '127.0.0.162', { heartbeatMeanMs: 2000 }),
    ]);
    for (const [n, host] of [
      [a, '127.0.0.161'],
      [b, '127.0.0.162'],
    ] as const) {
      mapped.set(n, [`${host}:${n.node.port}`]);
      vi.spyOn(n.node.options.portMapping!, 'externalAddresses').mockImplementation(() => mapped.get(n)!);
    }
  }, 2 * WAIT_MS);

  afterAll(async () => {
    vi.restoreAllMocks();
    await Promise.all([a, b].map((n) => n?.shutdown()));
  });

  const kinds = async () => ({
    ab: (await a.node.peers()).find((p) => p.deviceId === b.node.deviceId)?.link ?? null,
    ba: (await b.node.peers()).find((p) => p.deviceId === a.node.deviceId)?.link ?? null,
  });

  it(
    'a link through the mapping is mapped on both sides, the dialing one included',
    async () => {
      await pairInProcess(a, b);
      await waitFor(
        'A and B linked both ways',
        async () => a.node.session(b.node.deviceId)?.ready && b.node.session(a.node.deviceId)?.ready,
        WAIT_MS,
      );
      // Whichever side dialed, it reached the other's "mapped" address, and is told so.
      await waitFor(
        'both sides say mapped',
        async () => {
          const k = await kinds();
          return k.ab === 'mapped' && k.ba === 'mapped';
        },
        WAIT_MS,
      );
      const dialer = a.node.session(b.node.deviceId)!.link.initiator ? a : b;
      const other = dialer === a ? b : a;
      expect(dialer.node.session(other.node.deviceId)!.dialedMapping).toBe(true);
    },
    3 * WAIT_MS,
  );

  it(
    'without the mapping the next link is direct on both sides',
    async () => {
      mapped.set(a, []);
      mapped.set(b, []);
      a.node.session(b.node.deviceId)!.close();
      await waitFor(
        'A and B linked again, directly',
        async () => {
          const k = await kinds();
          return k.ab === 'direct' && k.ba === 'direct';
        },
        WAIT_MS,
      );
    },
    2 * WAIT_MS,
  );

  it('a dialer believes mapped-link only for the address it dialed, and an acceptor never', async () => {
    const session = (initiator: boolean) =>
      ({
        ready: true,
        seenAs: undefined,
        dialedMapping: false,
        seenAddress: '127.0.0.162:7470',
        link: { initiator, punched: false },
      }) as unknown as PeerSession;
    const message = (external: string) => MappedLinkMessage.check({ v: 1, t: 'mapped-link', external });
    const elsewhere = session(true);
    await a.node.onMappedLink(elsewhere, message('192.0.2.1:7470'));
    expect(linkKind(elsewhere, 0, [])).toBe('direct');
    const accepted = session(false);
    await a.node.onMappedLink(accepted, message('127.0.0.162:7470'));
    expect(linkKind(accepted, 0, [])).toBe('direct');
    const dialed = session(true);
    await a.node.onMappedLink(dialed, message('127.0.0.162:7470'));
    expect(linkKind(dialed, 0, [])).toBe('mapped');
    // The message is a v1 wire message like any other: extra fields or a host name with junk close the link.
    expect(() => MappedLinkMessage.check({ v: 1, t: 'mapped-link', external: 'x' })).toThrow();
    expect(() =>
      MappedLinkMessage.check({ v: 1, t: 'mapped-link', external: '127.0.0.1:1', more: 1 }),
    ).toThrow();
  });
});
