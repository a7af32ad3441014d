/**
 * Hole punching (docs/PROTOCOL.md "Hole punching"), with real network hops: A and B each run
 * `kith up` behind a home router of their own (nftables masquerade, nothing in from outside, no
 * port mapping); C, a friend of both, runs on the internet between the routers. A and B paired
 * while B's owner forwarded its port by hand; with the forward gone and B restarted, neither can
 * dial the other, so C times a simultaneous dial and they hold a punched link of their own.
 * Then both routers pick random ports (no punch can predict them): the punch fails, `kith peers`
 * says relayed, and messages still go both ways through C. Skips, saying why, where namespaces
 * cannot be made (not root, or ip/nft missing).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KithNode, type PeerJson, pairAndConfirm, waitFor } from '../helpers/cluster.ts';
import { makeTempDir } from '../helpers/database.ts';
import { ROUTER_WAN, TwoHomesNetwork, twoHomesUnavailable } from './two-homes.ts';

const unavailable = twoHomesUnavailable();
if (unavailable) console.warn(`test/netns/hole-punch: skipped: ${unavailable}`);

interface StatusJson {
  userId: string;
}
interface MessageJson {
  text: string;
}
type LinkJson = PeerJson & { link: string | null };

const PEER_PORT = 7470;

describe.skipIf(unavailable !== undefined)('two friends behind their own NATs', () => {
  let net: TwoHomesNetwork;
  let a: KithNode;
  let b: KithNode;
  let c: KithNode;
  const user: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };

  const linkTo = async (from: KithNode, userId: string) =>
    (await from.cli<LinkJson[]>('peers')).find((p) => p.userId === userId);

  const exchange = async (text: string) => {
    await a.cli('send', '--to', user.b, `${text} from a`);
    await b.cli('send', '--to', user.a, `${text} from b`);
    await waitFor(
      `b has "${text} from a"`,
      async () => (await b.cli<MessageJson[]>('messages')).some((m) => m.text === `${text} from a`),
      150_000,
    );
    await waitFor(
      `a has "${text} from b"`,
      async () => (await a.cli<MessageJson[]>('messages')).some((m) => m.text === `${text} from b`),
      150_000,
    );
  };

  beforeAll(async () => {
    net = new TwoHomesNetwork();
    const dir = await makeTempDir('kith-holes-');
    const node = (name: string, ns: string, env: Record<string, string> = {}) =>
      new KithNode({
        dataDir: join(dir, name),
        host: '0.0.0.0',
        peerPort: PEER_PORT,
        apiPort: 7471,
        heartbeatMeanMs: 2000,
        prefix: net.prefix(ns),
        env,
      });
    a = node('a', net.ns.home1);
    // B's owner forwards the peer port by hand while pairing, and says where friends reach it.
    b = node('b', net.ns.home2, { KITH_ANNOUNCE: `${ROUTER_WAN[2]}:${PEER_PORT}` });
    c = node('c', net.ns.internet);
    await Promise.all([a.start(), b.start(), c.start()]);
    for (const [k, n] of [
      ['a', a],
      ['b', b],
      ['c', c],
    ] as const)
      user[k] = (await n.cli<StatusJson>('status')).userId;
    net.forwardPort(2, PEER_PORT);
    await pairAndConfirm(c, a);
    await pairAndConfirm(c, b);
    await pairAndConfirm(b, a);
    await waitFor(
      'a linked to b through the forward',
      async () => (await linkTo(a, user.b))?.online,
      120_000,
    );
    // The forward goes; B restarts, so the link through it goes too.
    net.unforwardPort(2);
    await b.stop();
    await b.start();
  }, 600_000);

  afterAll(async () => {
    await Promise.all([a, b, c].map((n) => n?.stop().catch(() => {})));
    net?.destroy();
  }, 60_000);

  it('gets a punched link through the coordinating friend, and messages flow on it', async () => {
    const link = await waitFor(
      'a and b hold a punched link',
      async () => {
        const [ab, ba] = [await linkTo(a, user.b), await linkTo(b, user.a)];
        return ab?.online && ba?.online && { ab, ba };
      },
      180_000,
    );
    expect(link.ab.link).toBe('punched');
    expect(link.ba.link).toBe('punched');
    // Both still reach C the ordinary way.
    expect((await linkTo(a, user.c))?.link).toBe('direct');
    expect(await c.log()).toContain('hole punch: coordinated');
    await exchange('over the hole');
    // The messages went over the punched link, not through C.
    expect((await linkTo(a, user.b))?.link).toBe('punched');
  }, 400_000);

  it('falls back to relaying through the friend when the NATs pick random ports', async () => {
    net.setNat(1, 'random ports');
    net.setNat(2, 'random ports');
    const failedBefore = (await a.log()).split('hole punch: no hole opened').length;
    await b.stop();
    await b.start();
    await waitFor(
      'a punch between a and b was tried and failed',
      async () => (await a.log()).split('hole punch: no hole opened').length > failedBefore,
      240_000,
    );
    const ab = await linkTo(a, user.b);
    expect(ab?.online).toBe(false);
    expect(ab?.link).toBe('relayed');
    await waitFor('b sees a as relayed', async () => (await linkTo(b, user.a))?.link === 'relayed', 60_000);
    await exchange('through the friend');
  }, 600_000);
});
