/**
 * Peer-link throughput and latency next to raw WebSocket, measured in the same run (docs/DESIGN.md §3:
 * each benchmark measures its own ceiling). Run:
 *   node --import tsx bench/link/run.ts [--ms 2000] [--backend native|noble] [--json]
 * About 4 x ms plus setup (~10 s by default).
 *
 * Both sides live in this one process on 127.0.0.1, so sender, receiver and the kernel share
 * the CPU; the raw ceiling pays the same. The raw sender obeys the same queue bound as a Kith
 * link (4096 unflushed messages), so the ratio is the cost of Noise (ChaCha20-Poly1305 per
 * frame, nonce bookkeeping, the frame byte) and of the Link class itself.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoBackend, nobleBackend } from '../../packages/core/src/crypto/index.ts';
import { nativeBackend } from '../../packages/core/src/crypto/native.ts';
import { isKithError } from '../../packages/core/src/errors.ts';
import { noiseKeyPairFromPrivate } from '../../packages/core/src/noise/dh25519.ts';
import { connectLink } from '../../services/agent/src/link/connect.ts';
import type { Link } from '../../services/agent/src/link/link.ts';
import { createLinkListener } from '../../services/agent/src/link/listener.ts';
import { DEFAULT_LINK_LIMITS } from '../../services/agent/src/link/options.ts';
import { type WebSocket, WebSocketServer, WebSocket as WsClient } from 'ws';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const MS = Number(arg('--ms') ?? 2000);
const JSON_OUT = args.includes('--json');
const backend: CryptoBackend = arg('--backend') === 'noble' ? nobleBackend : nativeBackend;
const MESSAGE = new Uint8Array(1024).fill(0x5a);
const QUEUE = DEFAULT_LINK_LIMITS.maxQueuedMessages;
const random = (n: number) => new Uint8Array(randomBytes(n));

/** A message pipe: what both measurements need from either transport. */
interface Pipe {
  /** Sends one message; false when the queue bound is reached (wait for `drained`). */
  trySend(m: Uint8Array): boolean;
  drained(): Promise<void>;
  onReceive(handler: (m: Uint8Array) => void): void;
}

function linkPipe(link: Link): Pipe {
  return {
    trySend(m) {
      try {
        link.send(m);
        return true;
      } catch (e) {
        if (isKithError(e, 'LINK_QUEUE_FULL')) return false;
        throw e;
      }
    },
    drained: () => new Promise((resolve) => link.once('drain', () => resolve())),
    onReceive: (handler) => link.on('message', handler),
  };
}

function wsPipe(ws: WebSocket): Pipe {
  let pending = 0;
  let waiter: (() => void) | undefined;
  return {
    trySend(m) {
      if (pending >= QUEUE) return false;
      pending++;
      ws.send(m, { binary: true }, () => {
        pending--;
        if (waiter && pending <= QUEUE / 2) {
          const w = waiter;
          waiter = undefined;
          w();
        }
      });
      return true;
    },
    drained: () => new Promise((resolve) => (waiter = resolve)),
    onReceive: (handler) => ws.on('message', (d: Buffer) => handler(d)),
  };
}

/** Messages per second delivered from a to b, the sender kept busy up to the queue bound. */
async function throughput(a: Pipe, b: Pipe): Promise<number> {
  let received = 0;
  let counting = false;
  b.onReceive(() => {
    if (counting) received++;
  });
  const run = async (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      let sent = 0;
      while (sent < 512 && a.trySend(MESSAGE)) sent++;
      if (sent < 512) await a.drained();
      else await new Promise((r) => setImmediate(r));
    }
  };
  await run(Math.min(300, MS / 4)); // warm-up
  received = 0;
  counting = true;
  const start = performance.now();
  await run(MS);
  const elapsed = (performance.now() - start) / 1000;
  counting = false;
  return received / elapsed;
}

/** Round-trip times (ms) of 1 KiB ping-pong, one at a time, until the budget is spent. */
async function roundTrips(a: Pipe, b: Pipe): Promise<{ p50: number; p99: number; count: number }> {
  b.onReceive((m) => b.trySend(m));
  let resolveReply: (() => void) | undefined;
  a.onReceive(() => resolveReply?.());
  const samples: number[] = [];
  const end = performance.now() + MS;
  while (performance.now() < end && samples.length < 50_000) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      resolveReply = resolve;
      a.trySend(MESSAGE);
    });
    samples.push(performance.now() - t0);
  }
  samples.sort((x, y) => x - y);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p99: at(0.99), count: samples.length };
}

async function kithPipes(): Promise<{ a: Pipe; b: Pipe; close: () => Promise<void> }> {
  const serverKeys = noiseKeyPairFromPrivate(backend, random(32));
  const clientKeys = noiseKeyPairFromPrivate(backend, random(32));
  let accepted: (l: Link) => void = () => undefined;
  const serverLink = new Promise<Link>((r) => (accepted = r));
  const listener = await createLinkListener(
    { staticKeyPair: serverKeys, authorizeInitiator: async () => true, random, backend },
    (l) => accepted(l),
  );
  const client = await connectLink({
    url: listener.url,
    staticKeyPair: clientKeys,
    remoteStaticKey: serverKeys.publicKey,
    random,
    backend,
  });
  const server = await serverLink;
  return {
    a: linkPipe(client),
    b: linkPipe(server),
    close: async () => {
      client.close();
      await Promise.all([client.closed, server.closed]);
      await listener.close();
    },
  };
}

async function rawPipes(): Promise<{ a: Pipe; b: Pipe; close: () => Promise<void> }> {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 65535, perMessageDeflate: false });
  const serverWs = new Promise<WebSocket>((resolve) => {
    http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, resolve));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  const client = new WsClient(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  await new Promise((r) => client.once('open', r));
  const server = await serverWs;
  return {
    a: wsPipe(client),
    b: wsPipe(server),
    close: async () => {
      client.close();
      await new Promise((r) => server.once('close', r));
      http.close();
    },
  };
}

async function measure(make: () => Promise<{ a: Pipe; b: Pipe; close: () => Promise<void> }>) {
  const t = await make();
  const messagesPerSecond = await throughput(t.a, t.b);
  await t.close();
  const r = await make();
  const rtt = await roundTrips(r.a, r.b);
  await r.close();
  return { messagesPerSecond, rtt };
}

const kith = await measure(kithPipes);
const raw = await measure(rawPipes);
const result = {
  backend: backend.name,
  messageBytes: MESSAGE.length,
  msPerMeasurement: MS,
  kith: kith,
  rawWs: raw,
  ratio: {
    throughput: kith.messagesPerSecond / raw.messagesPerSecond,
    rttP50: kith.rtt.p50 / raw.rtt.p50,
    rttP99: kith.rtt.p99 / raw.rtt.p99,
  },
};
if (JSON_OUT) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const n = (x: number, d = 0) =>
    x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(`1 KiB messages over 127.0.0.1, backend ${backend.name}, ${MS} ms per measurement`);
  console.log('| transport | messages/s | MiB/s | RTT p50 ms | RTT p99 ms | round trips |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, m] of [
    ['Kith link (Noise)', kith],
    ['raw ws', raw],
  ] as const) {
    console.log(
      `| ${name} | ${n(m.messagesPerSecond)} | ${n(m.messagesPerSecond / 1024, 1)} | ${n(m.rtt.p50, 3)} | ${n(m.rtt.p99, 3)} | ${n(m.rtt.count)} |`,
    );
  }
  console.log(
    `ratio Kith/raw: throughput ${n(result.ratio.throughput, 2)}, RTT p50 ${n(result.ratio.rttP50, 2)}, RTT p99 ${n(result.ratio.rttP99, 2)}`,
  );
}
