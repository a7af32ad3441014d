/**
 * Home routers (docs/PROTOCOL.md "Home routers"), with real network hops: H runs `kith up` on a
 * LAN behind a router namespace (masquerade, miniupnpd answering NAT-PMP and UPnP); F runs on the
 * router's outside. H asks the router to forward its peer port and advertises the address it
 * gets, so F reaches H through the mapping (both call the link `mapped`); messages go both ways;
 * H's stop removes the mapping.
 * Skips, saying why, where namespaces cannot be made (not root, or ip/nft/miniupnpd missing).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KithNode, type PeerJson, pairAndConfirm, waitFor } from '../helpers/cluster.ts';
import { makeTempDir } from '../helpers/database.ts';
import { HomeRouterNetwork, LAN, WAN, homeRouterUnavailable } from './home-router.ts';

const unavailable = homeRouterUnavailable();
if (unavailable) console.warn(`test/netns/port-mapping: skipped: ${unavailable}`);

interface StatusJson {
  userId: string;
  addresses: string[];
  portMapping: { state: string; external: string | null; via: string | null; reason: string | null } | null;
}
type LinkJson = PeerJson & { link: string | null };
interface MessageJson {
  text: string;
}

const PEER_PORT = 7470;

describe.skipIf(unavailable !== undefined)('a node behind a home router', () => {
  let net: HomeRouterNetwork;
  let home: KithNode;
  let outside: KithNode;

  beforeAll(async () => {
    net = new HomeRouterNetwork();
    net.startMiniupnpd();
    const dir = await makeTempDir('kith-netns-');
    const node = (name: string, ns: string, host: string) =>
      new KithNode({
        dataDir: join(dir, name),
        host,
        peerPort: PEER_PORT,
        apiPort: 7471,
        heartbeatMeanMs: 2000,
        prefix: net.prefix(ns),
        env: { KITH_PORT_MAPPING: 'on' },
      });
    home = node('home', net.ns.home, '0.0.0.0');
    outside = node('outside', net.ns.internet, WAN.internet);
    await Promise.all([home.start(), outside.start()]);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([home, outside].map((n) => n?.stop().catch(() => {})));
    net?.destroy();
  }, 60_000);

  it('is mapped by the router and advertises the external address', async () => {
    const status = await waitFor(
      'the router maps the home node’s peer port',
      async () => {
        const s = await home.cli<StatusJson>('status');
        return s.portMapping?.state === 'mapped' && s;
      },
      90_000,
    );
    expect(status.portMapping).toMatchObject({ external: `${WAN.router}:${PEER_PORT}`, via: 'nat-pmp' });
    expect(status.addresses).toEqual(
      expect.arrayContaining([`${LAN.home}:${PEER_PORT}`, `${WAN.router}:${PEER_PORT}`]),
    );
    expect(net.forwards()).toContain(`dport ${PEER_PORT}`);
    // The node outside, with no mapping to ask for, says so.
    const outsideStatus = await outside.cli<StatusJson>('status');
    expect(outsideStatus.portMapping?.state).not.toBe('mapped');
  }, 120_000);

  it('is reached through the mapping: pairing and messages both ways', async () => {
    // Only the outside node dials: the home node's own dials to it are refused (its firewall).
    net.refuseFromHome(WAN.internet, PEER_PORT);
    await pairAndConfirm(home, outside);
    const homeUser = (await home.cli<StatusJson>('status')).userId;
    const outsideUser = (await outside.cli<StatusJson>('status')).userId;
    // The outside node has no route to the LAN: the link it holds runs through the router.
    const link = await waitFor(
      'the outside node linked to the home node',
      async () => (await outside.cli<PeerJson[]>('peers')).find((p) => p.userId === homeUser && p.online),
      120_000,
    );
    expect(link.address).toBe(`${WAN.router}:${PEER_PORT}`);
    // The link came in through the mapping, and both sides say so: the home node from the hello,
    // the outside node (to which the mapped port is a port like any other) from `mapped-link`.
    await waitFor(
      'both sides call the link mapped',
      async () => {
        const out = (await outside.cli<LinkJson[]>('peers')).find((p) => p.userId === homeUser);
        const back = (await home.cli<LinkJson[]>('peers')).find((p) => p.userId === outsideUser);
        return out?.link === 'mapped' && back?.link === 'mapped';
      },
      60_000,
    );

    await outside.cli('send', '--to', homeUser, 'through the mapped port');
    await home.cli('send', '--to', outsideUser, 'out through the masquerade');
    await waitFor(
      'the home node has the message from outside',
      async () =>
        (await home.cli<MessageJson[]>('messages')).some((m) => m.text === 'through the mapped port'),
      120_000,
    );
    await waitFor(
      'the outside node has the message from home',
      async () =>
        (await outside.cli<MessageJson[]>('messages')).some((m) => m.text === 'out through the masquerade'),
      120_000,
    );
  }, 400_000);

  it('removes the mapping when it stops', async () => {
    await home.stop();
    expect(net.forwards()).not.toContain(`dport ${PEER_PORT}`);
  }, 60_000);

  it('maps through UPnP when the router does not speak NAT-PMP', async () => {
    await net.stopMiniupnpd();
    net.startMiniupnpd({ natPmp: false });
    await home.start();
    const status = await waitFor(
      'the router maps the home node’s peer port by UPnP',
      async () => {
        const s = await home.cli<StatusJson>('status');
        return s.portMapping?.state === 'mapped' && s;
      },
      90_000,
    );
    expect(status.portMapping).toMatchObject({ external: `${WAN.router}:${PEER_PORT}`, via: 'upnp' });
    expect(net.forwards()).toContain(`dport ${PEER_PORT}`);
    await home.stop();
    expect(net.forwards()).not.toContain(`dport ${PEER_PORT}`);
  }, 240_000);
});
