/**
 * Port windows across real `kith up` processes (docs/PROTOCOL.md §13): A and B pair with
 * windows on (a 2 s window every 10 s), then A's peer port, probed at random moments by a
 * stranger, is refused about 1 − open/period of the time while the friends' link stays up; B
 * stops and comes back on another address and port, and the two link again (B dials inside A's
 * window, from the key it kept on disk).
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KithNode, type PeerJson, pairAndConfirm, waitFor } from '../helpers/cluster.ts';
import { makeTempDir } from '../helpers/database.ts';

const PERIOD_MS = 10_000;
const OPEN_MS = 2_000;
const ENV = {
  KITH_PORT_WINDOWS: 'on',
  KITH_WINDOW_PERIOD_MS: String(PERIOD_MS),
  KITH_WINDOW_OPEN_MS: String(OPEN_MS),
};

interface StatusJson {
  userId: string;
  deviceId: string;
  peerPort: number;
  portWindows: { enabled: boolean; open: boolean; peerKeys: number; invitesHolding: number } | null;
}

/** 'refused' when nothing listens, 'open' when the connection is taken (and dropped at once). */
function probe(host: string, port: number): Promise<'refused' | 'open'> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, localAddress: '127.0.0.95' });
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET' ? resolve('refused') : reject(err),
    );
  });
}

describe('port windows between real processes', () => {
  let dir: string;
  let a: KithNode;
  let b: KithNode;
  let aStatus: StatusJson;
  let bStatus: StatusJson;

  const node = (name: string, host: string) =>
    new KithNode({
      dataDir: join(dir, name),
      host,
      peerPort: 0,
      apiPort: 0,
      heartbeatMeanMs: 2000,
      env: ENV,
    });

  beforeAll(async () => {
    dir = await makeTempDir('kith-windows-');
    a = node('a', '127.0.0.91');
    b = node('b', '127.0.0.92');
    await Promise.all([a.start(), b.start()]);
    // The open invite holds A's port open until B has dialled back.
    await pairAndConfirm(a, b);
    [aStatus, bStatus] = await Promise.all([a.cli<StatusJson>('status'), b.cli<StatusJson>('status')]);
    await waitFor(
      'A and B linked, each holding the other’s window key',
      async () => {
        const [sa, sb] = await Promise.all([a.cli<StatusJson>('status'), b.cli<StatusJson>('status')]);
        const linked = (await a.api<PeerJson[]>('/peers')).some(
          (p) => p.deviceId === bStatus.deviceId && p.online,
        );
        return linked && (sa.portWindows?.peerKeys ?? 0) >= 1 && (sb.portWindows?.peerKeys ?? 0) >= 1;
      },
      180_000,
    );
  }, 400_000);

  afterAll(async () => {
    await Promise.all([a, b].map((n) => n?.kill()));
  }, 60_000);

  it('a stranger probing at random moments finds the port closed most of the time; the link stays up', async () => {
    // The used invite holds the port open for a grace period (PROTOCOL §13 "Pairing"): after it.
    await waitFor(
      'no invite holds A’s port open',
      async () => (await a.cli<StatusJson>('status')).portWindows?.invitesHolding === 0,
      120_000,
      1000,
    );
    const started = Date.now();
    let refused = 0;
    let probes = 0;
    // Random moments over three periods: each probe after a uniform 0-400 ms pause.
    while (Date.now() - started < 3 * PERIOD_MS) {
      await new Promise((r) => setTimeout(r, Math.random() * 400));
      if ((await probe('127.0.0.91', aStatus.peerPort)) === 'refused') refused++;
      probes++;
    }
    const closed = refused / probes;
    console.info(
      `port windows (processes): ${probes} probes at random moments over ${Date.now() - started} ms, ` +
        `refused ${(closed * 100).toFixed(1)} % (expected about ${100 - (100 * OPEN_MS) / PERIOD_MS} %)`,
    );
    // Expected 80 %; a window of 2 s in 10 s, with some probes that straddle an edge.
    expect(closed).toBeGreaterThan(0.6);
    expect(closed).toBeLessThan(0.97);
    const peers = await a.api<PeerJson[]>('/peers');
    expect(peers.find((p) => p.deviceId === bStatus.deviceId)?.online).toBe(true);
  }, 120_000);

  it('B comes back on another address and port and links to A again, inside A’s window', async () => {
    await b.stop();
    await waitFor(
      'A sees B go',
      async () => !(await a.api<PeerJson[]>('/peers')).find((p) => p.deviceId === bStatus.deviceId)?.online,
      120_000,
    );
    const started = Date.now();
    await b.start({ host: '127.0.0.93' });
    const peer = await waitFor(
      'A and B linked again',
      async () =>
        (await a.api<PeerJson[]>('/peers')).find((p) => p.deviceId === bStatus.deviceId && p.online),
      6 * PERIOD_MS,
    );
    console.info(
      `port windows (processes): relinked ${((Date.now() - started) / PERIOD_MS).toFixed(2)} periods after B started on a new address`,
    );
    expect(peer.address?.startsWith('127.0.0.93:')).toBe(true);
    expect(aStatus.portWindows?.enabled).toBe(true);
  }, 240_000);
});
