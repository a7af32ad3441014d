/**
 * Messaging: 1 KiB texts per second and latency, one hop (A → B) and relayed (A → N → B), with
 * the ceiling of each layer measured in the same run (docs/DESIGN.md §3: each benchmark measures its own
 * ceiling). Run:
 *   node --import tsx bench/messaging/run.ts [--ms 3000] [--rates 20,100] [--window 64] [--json]
 * PGlite by default; Postgres when DATABASE_URL is set (one fresh database per node, dropped
 * after). About 45-60 s.
 *
 * Kith: three full nodes (`runNode`, as `kith agent` runs them) in this one process on
 * 127.0.0.2/.3/.4, paired A–B, A–N, B–N. A sends with `messenger.sendText`; a message counts
 * when B's `message.received` event fires (published after the row is in B's database).
 *   - latency: sends paced at each of --rates per second (default 20 and 100), from the
 *     `sendText` call to B's event; also when `sendText` returned (A's share);
 *   - throughput: --window sendText calls kept in flight for --ms, then until B has them all;
 *     rate = messages / (last arrival − first send). Also: frames B received per message (above
 *     1 when A sends items again before their receipt is back) and this process's CPU time
 *     per message, the steadier figure on a machine shared with other work.
 * Between phases the run waits until A's outbox is empty and every link has been quiet for
 * 300 ms, so no phase pays for the previous one's backlog. At the end B must hold exactly the
 * messages A sent, each once.
 * Relayed: A and B are stopped and started again on new addresses (127.0.0.6 and .7) while
 * apart, exactly as in test/cluster/messaging.test.ts: each still knows N's address, and
 * neither learns the other's (a node gossips friends only its own devices' address records),
 * so A has no link to B and every item goes A → N → B. The run checks that no A–B link came up.
 *
 * Ceilings, same process, same machine:
 *   - raw ws: 1 KiB binary frames over loopback, one way, sender kept busy up to the link's
 *     queue bound; RTT of one-at-a-time ping-pong; and a two-hop chain through a forwarder;
 *   - raw crypto per message (native backend): one Ed25519 sign + one verify + one
 *     XChaCha20-Poly1305 seal + open of 1 KiB, what docs/DESIGN.md §5 budgets per message; the same
 *     with node:crypto KeyObjects built once (the floor); and, for context, the core message
 *     functions as the messenger calls them today;
 *   - raw database: multi-row INSERT of 1 KiB rows (500 per statement) into a table created
 *     `like messages including all` in B's own database, and one autocommit INSERT per row.
 * All nodes and the ceilings share this process's one JavaScript thread (and, on PGlite, the
 * database runs on that thread too), so the ceilings are per core like Kith's figures. The last
 * row of the ceiling table is computed: every layer's cost paid in turn for one message.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
  randomBytes,
} from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { count, eq } from 'drizzle-orm';
import postgres from 'postgres';
import { type WebSocket, WebSocketServer, WebSocket as WsClient } from 'ws';
import { setDefaultBackend } from '../../packages/core/src/crypto/index.ts';
import { nativeBackend } from '../../packages/core/src/crypto/native.ts';
import { deriveDeviceKeys, deriveRootKeys } from '../../packages/core/src/identity/derive.ts';
import { enrolDevice } from '../../packages/core/src/identity/enrol.ts';
import { createGenesis, verifyLog } from '../../packages/core/src/identity/log.ts';
import {
  openVerifiedChatMessage,
  sealChatMessage,
  verifyChatMessage,
} from '../../packages/core/src/messaging/chat-message.ts';
import { openReceipt, signReceiptBatch } from '../../packages/core/src/messaging/receipt.ts';
import { ownSigningBackend } from '../../services/agent/src/messaging/own-signer.ts';
import { messages } from '@kith/db/schema';
import { describeUrl } from '@kith/db/database';
import type { AgentEvent } from '../../services/agent/src/event-bus.ts';
import { createKeystore } from '../../services/agent/src/keystore/index.ts';
import { DEFAULT_LINK_LIMITS } from '../../services/agent/src/link/options.ts';
import { createLogger } from '../../services/agent/src/logger.ts';
import { type RunningNode, runNode } from '../../services/agent/src/node.ts';
import { makeTempDir } from '../../test/helpers/database.ts';

// As every service does at boot (cli/src/main.ts): node:crypto under Node.
setDefaultBackend(nativeBackend);

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const MS = Number(arg('--ms') ?? 3000);
const RATES = (arg('--rates') ?? '20,100').split(',').map(Number);
const LATENCY_MS = 3000;
const WINDOW = Number(arg('--window') ?? 64);
const JSON_OUT = args.includes('--json');
const DRAIN_LIMIT_MS = 30_000;
const DB_URL = process.env.DATABASE_URL;
const TEXT = 'x'.repeat(1024);
const KIB = new Uint8Array(1024).fill(0x5a);
const QUEUE = DEFAULT_LINK_LIMITS.maxQueuedMessages;
const random = (n: number) => new Uint8Array(randomBytes(n));
const T0 = performance.now();
const log = (line: string) => {
  if (!JSON_OUT) process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(1)} s] ${line}\n`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(20);
  }
}

function quantiles(samples: number[]): { p50: number; p99: number; count: number } {
  const s = [...samples].sort((x, y) => x - y);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), count: s.length };
}

// --- the nodes -----------------------------------------------------------------------------

const admin = DB_URL ? postgres(DB_URL, { max: 1, onnotice: () => {} }) : undefined;
const databases: string[] = [];

interface NodeSpec {
  name: string;
  dir: string;
  databaseUrl: string | undefined;
}

async function createNode(root: string, name: string): Promise<NodeSpec> {
  const seed = random(64);
  const rootKeys = deriveRootKeys(seed);
  const device = deriveDeviceKeys(seed, 0);
  const idLog = enrolDevice(verifyLog([createGenesis(rootKeys)]), rootKeys, device, {
    deviceName: name,
    now: Date.now(),
  });
  const dir = join(root, name);
  await createKeystore({ dataDir: dir, userId: rootKeys.userId, device, logEntries: idLog.entries });
  let databaseUrl: string | undefined;
  if (admin && DB_URL) {
    const db = `kith_bench_msg_${randomBytes(4).toString('hex')}_${name}`;
    await admin.unsafe(`create database "${db}"`);
    databases.push(db);
    const url = new URL(DB_URL);
    url.pathname = `/${db}`;
    databaseUrl = url.toString();
  }
  return { name, dir, databaseUrl };
}

/** Starts a node as `kith agent` would, with default timings (heartbeat mean 15 s, pump 2 s). */
function startNode(spec: NodeSpec, host: string): Promise<RunningNode> {
  return runNode({
    flags: { data: spec.dir, host, peerPort: '0', apiPort: '0', logLevel: 'silent' },
    env: spec.databaseUrl ? { DATABASE_URL: spec.databaseUrl } : {},
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
  });
}

async function pair(x: RunningNode, y: RunningNode): Promise<void> {
  const invite = await x.pairing.createInvite({ role: 'friend' });
  const paired = await y.pairing.acceptFriend(invite.code);
  await y.pairing.pending.confirm(paired.userId);
  await x.pairing.pending.confirm(y.node.userId);
  await waitFor(`${x.config.host} and ${y.config.host} linked`, () =>
    Boolean(x.node.session(y.node.deviceId) && y.node.session(x.node.deviceId)),
  );
}

/** Frames arriving at a node on all its links (deliveries, receipts, heartbeats), while watched. */
function frames(x: RunningNode): { count: () => number; lastAt: () => number; stop: () => void } {
  let n = 0;
  let last = performance.now();
  const on = () => {
    n++;
    last = performance.now();
  };
  const links = x.node.onlineSessions().map((s) => s.link);
  for (const l of links) l.on('message', on);
  const stop = () => {
    for (const l of links) l.off('message', on);
  };
  return { count: () => n, lastAt: () => last, stop };
}

/**
 * Waits until B's and A's links have been silent for a moment: retries of an earlier phase may
 * still be queued behind B's session (items are handled one at a time per link), and a phase
 * must not pay for the previous one's backlog.
 */
async function quiet(nodes: RunningNode[]): Promise<void> {
  const watches = nodes.map(frames);
  try {
    await waitFor(
      'links quiet',
      () => watches.every((w) => performance.now() - w.lastAt() > 300),
      DRAIN_LIMIT_MS,
    );
  } finally {
    for (const w of watches) w.stop();
  }
}

let sentTotal = 0;
/** One 1 KiB text from A to B, as `kith send` makes it. */
async function send(a: RunningNode, b: RunningNode): Promise<string> {
  const { id } = await a.messenger.sendText({ to: b.node.userId }, TEXT);
  sentTotal++;
  return id;
}

/** B's `message.received` arrival times by message id (hex), from the moment of the call. */
function arrivals(b: RunningNode): { at: Map<string, number>; stop: () => void } {
  const at = new Map<string, number>();
  const stop = b.node.options.events.subscribe((e: AgentEvent) => {
    if (e.type === 'message.received') at.set(String(e.data.id), performance.now());
  });
  return { at, stop };
}

/** Paced sends: latency from the `sendText` call to B's `message.received`. */
async function latency(a: RunningNode, b: RunningNode, rate: number, ms: number) {
  const seen = arrivals(b);
  const sentAt = new Map<string, number>();
  const stored: number[] = [];
  const count = Math.max(1, Math.round((rate * ms) / 1000));
  const start = performance.now();
  const calls: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const t0 = performance.now();
    calls.push(
      send(a, b).then((id) => {
        sentAt.set(id, t0);
        stored.push(performance.now() - t0);
      }),
    );
  }
  await Promise.all(calls);
  await waitFor('B has the paced messages', () => [...sentAt.keys()].every((id) => seen.at.has(id)), 30_000);
  seen.stop();
  const samples = [...sentAt].map(([id, t0]) => seen.at.get(id)! - t0);
  // `sendText` resolves once A has stored the message and queued it: A's share of the latency.
  return { ratePerSecond: rate, ...quantiles(samples), sendTextP50: quantiles(stored).p50 };
}

/** --window calls in flight for `ms`, then until B has every message. */
async function throughput(a: RunningNode, b: RunningNode, ms: number) {
  const seen = arrivals(b);
  const atB = frames(b);
  const ids: string[] = [];
  const cpu = process.cpuUsage();
  const start = performance.now();
  const sender = async () => {
    while (performance.now() - start < ms) ids.push(await send(a, b));
  };
  await Promise.all(Array.from({ length: WINDOW }, sender));
  const sendMs = performance.now() - start;
  let drained = true;
  try {
    await waitFor('B has the burst', () => ids.every((id) => seen.at.has(id)), DRAIN_LIMIT_MS);
  } catch {
    drained = false;
  }
  const cpuUsed = process.cpuUsage(cpu);
  seen.stop();
  atB.stop();
  const got = ids.filter((id) => seen.at.has(id));
  const last = Math.max(...got.map((id) => seen.at.get(id)!));
  const endToEndMs = last - start;
  return {
    sent: ids.length,
    received: got.length,
    drained,
    sendPerSecond: (ids.length * 1000) / sendMs,
    messagesPerSecond: (got.length * 1000) / endToEndMs,
    seconds: endToEndMs / 1000,
    /** Frames B received per message (1 when nothing is sent twice; heartbeats are negligible). */
    framesAtBPerMessage: atB.count() / ids.length,
    /** CPU of this process (A, B, N and, on PGlite, their databases) per message, in ms. */
    cpuMsPerMessage: (cpuUsed.user + cpuUsed.system) / 1000 / ids.length,
  };
}

/** Messages from A stored in B's database (the "persisted" check). */
async function storedCount(b: RunningNode, from: string): Promise<number> {
  const [row] = await b.database.db
    .select({ n: count() })
    .from(messages)
    .where(eq(messages.senderDevice, from));
  return Number(row?.n ?? 0);
}

async function settle(a: RunningNode, label: string, others: RunningNode[]): Promise<void> {
  // Delivered receipts travel back after the messages; wait until A holds nothing more.
  await waitFor(
    `${label}: A's outbox empty`,
    async () => (await a.messenger.pending()) === 0,
    DRAIN_LIMIT_MS,
  );
  await quiet([a, ...others]);
}

async function kithRuns() {
  const root = await makeTempDir('kith-bench-messaging-');
  const specs = {
    a: await createNode(root, 'a'),
    b: await createNode(root, 'b'),
    n: await createNode(root, 'n'),
  };
  log(`database: ${DB_URL ? `postgres (${describeUrl(DB_URL)}), one database per node` : 'pglite'}`);
  log('starting A, B, N and pairing them');
  let a = await startNode(specs.a, '127.0.0.2');
  let b = await startNode(specs.b, '127.0.0.3');
  const n = await startNode(specs.n, '127.0.0.4');
  log('pairing A–B, A–N, B–N');
  try {
    await pair(a, b);
    await pair(a, n);
    await pair(b, n);

    log('one hop: warm-up');
    await latency(a, b, 50, 1000);
    await settle(a, 'warm-up', [b]);
    const oneHopLatency = [];
    for (const rate of RATES) {
      log(`one hop: latency at ${rate}/s`);
      oneHopLatency.push(await latency(a, b, rate, LATENCY_MS));
      await settle(a, 'one-hop latency', [b]);
    }
    log(`one hop: throughput, ${WINDOW} sends in flight for ${MS} ms`);
    const oneHop = await throughput(a, b, MS);
    await settle(a, 'one-hop throughput', [b]);

    log('relayed: A and B move to 127.0.0.6 and 127.0.0.7 while apart');
    const aDevice = a.node.deviceId;
    const bDevice = b.node.deviceId;
    await Promise.all([a.shutdown(), b.shutdown()]);
    a = await startNode(specs.a, '127.0.0.6');
    b = await startNode(specs.b, '127.0.0.7');
    let directLinks = 0;
    const stopWatch = a.node.options.events.subscribe((e: AgentEvent) => {
      if (e.type === 'peer.online' && e.data.deviceId === bDevice) directLinks++;
    });
    const ra = a;
    const rb = b;
    await waitFor('A and B linked to N again', () =>
      Boolean(ra.node.session(n.node.deviceId) && rb.node.session(n.node.deviceId)),
    );
    await sleep(500); // let the dialers try (and fail) the old addresses
    if (a.node.session(bDevice))
      throw new Error('A still reaches B directly; the relayed case is not relayed');
    log('relayed: warm-up');
    await latency(a, b, 50, 1000);
    await settle(a, 'relayed warm-up', [b, n]);
    const relayedLatency = [];
    for (const rate of RATES) {
      log(`relayed: latency at ${rate}/s`);
      relayedLatency.push(await latency(a, b, rate, LATENCY_MS));
      await settle(a, 'relayed latency', [b, n]);
    }
    log(`relayed: throughput, ${WINDOW} sends in flight for ${MS} ms`);
    const relayed = await throughput(a, b, MS);
    await settle(a, 'relayed throughput', [b, n]);
    stopWatch();
    if (directLinks > 0 || a.node.session(bDevice)) {
      throw new Error('A linked to B during the relayed run; its figures are not relayed');
    }
    const stored = await storedCount(b, aDevice);
    if (stored !== sentTotal) throw new Error(`B stored ${stored} of the ${sentTotal} messages A sent`);
    return { oneHop, oneHopLatency, relayed, relayedLatency, storedAtB: stored, b };
  } catch (err) {
    await Promise.allSettled([a.shutdown(), b.shutdown(), n.shutdown()]);
    throw err;
  } finally {
    // Nodes are shut down by the caller after the database ceiling (which uses B's database).
    cleanup.push(async () => {
      await Promise.allSettled([a.shutdown(), b.shutdown(), n.shutdown()]);
      await rm(root, { recursive: true, force: true });
    });
  }
}

const cleanup: (() => Promise<void>)[] = [];

// --- the raw ws ceiling ----------------------------------------------------------------------

interface WsPair {
  client: WebSocket;
  server: WebSocket;
  close(): Promise<void>;
}

async function wsPair(host = '127.0.0.1'): Promise<WsPair> {
  const http = createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 65535, perMessageDeflate: false });
  const server = new Promise<WebSocket>((resolve) => {
    http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, resolve));
  });
  await new Promise<void>((r) => http.listen(0, host, r));
  const { port } = http.address() as AddressInfo;
  const client = new WsClient(`ws://${host}:${port}/`, { perMessageDeflate: false });
  await new Promise((r) => client.once('open', r));
  const s = await server;
  return {
    client,
    server: s,
    close: async () => {
      client.close();
      await new Promise((r) => s.once('close', r));
      http.close();
    },
  };
}

/** A sender that obeys the same bound as a Kith link: at most QUEUE unflushed frames. */
function boundedSender(ws: WebSocket) {
  let pending = 0;
  let waiter: (() => void) | undefined;
  return {
    trySend(m: Uint8Array): boolean {
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
    drained: () => new Promise<void>((r) => (waiter = r)),
  };
}

/** Frames per second arriving at `sink`, the sender kept busy. */
async function wsRate(
  sender: ReturnType<typeof boundedSender>,
  sink: WebSocket,
  ms: number,
): Promise<number> {
  let received = 0;
  sink.on('message', () => received++);
  const run = async (budget: number) => {
    const end = performance.now() + budget;
    while (performance.now() < end) {
      let sent = 0;
      while (sent < 512 && sender.trySend(KIB)) sent++;
      if (sent < 512) await sender.drained();
      else await new Promise((r) => setImmediate(r));
    }
  };
  await run(300);
  received = 0;
  const start = performance.now();
  await run(ms);
  return (received * 1000) / (performance.now() - start);
}

async function wsCeiling(ms: number) {
  const one = await wsPair();
  const oneHop = await wsRate(boundedSender(one.client), one.server, ms);
  await one.close();

  // Two hops: client → forwarder (server side of the first pair) → second pair → sink.
  const first = await wsPair();
  const second = await wsPair();
  const forward = boundedSender(second.client);
  first.server.on('message', (d: Buffer) => forward.trySend(d));
  const twoHop = await wsRate(boundedSender(first.client), second.server, ms);
  await first.close();
  await second.close();

  const rt = await wsPair();
  rt.server.on('message', (d: Buffer) => rt.server.send(d, { binary: true }));
  let reply: (() => void) | undefined;
  rt.client.on('message', () => reply?.());
  const samples: number[] = [];
  const end = performance.now() + ms / 2;
  while (performance.now() < end && samples.length < 50_000) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      reply = resolve;
      rt.client.send(KIB, { binary: true });
    });
    samples.push(performance.now() - t0);
  }
  await rt.close();
  return { oneHopPerSecond: oneHop, twoHopPerSecond: twoHop, rtt: quantiles(samples) };
}

// --- the crypto ceiling ----------------------------------------------------------------------

function perSecond(ms: number, op: () => unknown): number {
  const until = (budget: number) => {
    const start = performance.now();
    let calls = 0;
    while (performance.now() - start < budget) {
      for (let i = 0; i < 16; i++) op();
      calls += 16;
    }
    return (calls * 1000) / (performance.now() - start);
  };
  until(Math.min(200, ms / 4));
  return until(ms);
}

function cryptoCeiling(ms: number) {
  const b = nativeBackend;
  const seed = random(32);
  const publicKey = b.ed25519PublicKey(seed);
  const key = random(32);
  const nonce = random(24);
  const aad = random(150); // a chat-message header is about this size
  const signed = random(182); // header || SHA-256(ct), what a chat-message signature covers
  const raw = perSecond(ms, () => {
    const ct = b.xchacha20poly1305Seal(key, nonce, KIB, aad);
    const sig = b.ed25519Sign(signed, seed);
    if (!b.ed25519Verify(sig, signed, publicKey)) throw new Error('verify');
    b.xchacha20poly1305Open(key, nonce, ct, aad);
  });
  // What Kith does per message today, end to end on one core (core functions only, no I/O), as
  // the messenger calls them: sealChatMessage at A with the device key prebuilt (own-signer.ts),
  // verifyChatMessage at B, openVerifiedChatMessage when the text is read, and one signed v2
  // receipt per batch (sign at B, verify at A), here one per WINDOW messages.
  const signing = { seed, publicKey };
  const own = ownSigningBackend(seed, b);
  const epochKey = random(32);
  const epoch = random(16);
  const ids: Uint8Array[] = [];
  const kith = perSecond(ms, () => {
    const item = sealChatMessage(
      { conv: 'bench', epoch, epochKey, sender: signing, sentAt: 1, body: { t: 'text', text: TEXT } },
      random,
      own,
    );
    verifyChatMessage(item);
    openVerifiedChatMessage(item, epochKey);
    ids.push(epoch);
    if (ids.length === WINDOW) {
      openReceipt(
        signReceiptBatch({ items: ids, target: 'bench-device', state: 'delivered', at: 1 }, signing, own),
      );
      ids.length = 0;
    }
  });
  // The floor under both: node:crypto with KeyObjects built once and a bare ChaCha20-Poly1305
  // (the native backend imports the key on every call and adds HChaCha20 for XChaCha).
  const der = (prefix: string, bytes: Uint8Array) => Buffer.concat([Buffer.from(prefix, 'hex'), bytes]);
  const privateKo = createPrivateKey({
    key: der('302e020100300506032b657004220420', seed),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKo = createPublicKey({
    key: der('302a300506032b6570032100', publicKey),
    format: 'der',
    type: 'spki',
  });
  const nonce12 = nonce.subarray(0, 12);
  const keyObjects = perSecond(ms, () => {
    const c = createCipheriv('chacha20-poly1305', key, nonce12, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: KIB.length });
    const ct = Buffer.concat([c.update(KIB), c.final()]);
    const tag = c.getAuthTag();
    const sig = nodeSign(null, signed, privateKo);
    if (!nodeVerify(null, signed, publicKo, sig)) throw new Error('verify');
    const d = createDecipheriv('chacha20-poly1305', key, nonce12, { authTagLength: 16 });
    d.setAAD(aad, { plaintextLength: KIB.length });
    d.setAuthTag(tag);
    Buffer.concat([d.update(ct), d.final()]);
  });
  const sign = perSecond(ms / 2, () => b.ed25519Sign(signed, seed));
  const sig = b.ed25519Sign(signed, seed);
  const verify = perSecond(ms / 2, () => b.ed25519Verify(sig, signed, publicKey));
  return {
    rawPerMessagePerSecond: raw,
    kithPerMessagePerSecond: kith,
    keyObjectPerMessagePerSecond: keyObjects,
    signPerSecond: sign,
    verifyPerSecond: verify,
  };
}

// --- the database ceiling --------------------------------------------------------------------

const BATCH = 500;
/**
 * 1 KiB rows one message costs at the least: A's own copy and B's copy (A's outbox row names
 * the message, without its bytes, and is not counted).
 */
const ROWS_PER_MESSAGE = 2;

async function dbCeiling(b: RunningNode, ms: number) {
  const makeRow = (i: number) => ({
    id: random(16),
    conversation_id: 'bench-conversation',
    sender_device: 'bench-device',
    sender_user: 'bench-user',
    epoch_id: random(16),
    sent_at: new Date(),
    received_at: new Date(),
    item: (() => {
      const x = random(1024 + 180);
      x[0] = i & 0xff;
      return x;
    })(),
  });
  const columns = 'id, conversation_id, sender_device, sender_user, epoch_id, sent_at, received_at, item';
  const timed = async (budget: number, step: () => Promise<number>) => {
    const start = performance.now();
    let rows = 0;
    while (performance.now() - start < budget) rows += await step();
    return (rows * 1000) / (performance.now() - start);
  };
  const batchOf = () => Array.from({ length: BATCH }, (_, i) => makeRow(i));

  if (b.database.kind === 'postgres') {
    const sql = postgres(b.config.databaseUrl!, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe('create table bench_raw_messages (like messages including all)');
      const multi = async (budget: number) => {
        let next = batchOf();
        return timed(budget, async () => {
          const writing = sql`insert into bench_raw_messages ${sql(next)}`;
          const n = next.length;
          next = batchOf();
          await writing;
          return n;
        });
      };
      await multi(300);
      const multiRow = await multi(ms);
      const single = await timed(ms / 2, async () => {
        await sql`insert into bench_raw_messages ${sql(makeRow(0))}`;
        return 1;
      });
      await sql.unsafe('drop table bench_raw_messages');
      return {
        database: `postgres (${describeUrl(DB_URL!)})`,
        multiRowPerSecond: multiRow,
        singleRowPerSecond: single,
      };
    } finally {
      await sql.end({ timeout: 5 });
    }
  }
  const client = (b.database.db as unknown as { $client: PGlite }).$client;
  await client.exec('create table bench_raw_messages (like messages including all)');
  const insert = (rows: ReturnType<typeof makeRow>[]) => {
    const params: unknown[] = [];
    const tuples = rows.map((r) => {
      const k = params.push(
        r.id,
        r.conversation_id,
        r.sender_device,
        r.sender_user,
        r.epoch_id,
        r.sent_at,
        r.received_at,
        r.item,
      );
      return `(${Array.from({ length: 8 }, (_, i) => `$${k - 7 + i}`).join(', ')})`;
    });
    return client.query(`insert into bench_raw_messages (${columns}) values ${tuples.join(', ')}`, params);
  };
  const multi = async (budget: number) => {
    let next = batchOf();
    return timed(budget, async () => {
      const writing = insert(next);
      const n = next.length;
      next = batchOf();
      await writing;
      return n;
    });
  };
  await multi(300);
  const multiRow = await multi(ms);
  const single = await timed(ms / 2, async () => {
    await insert([makeRow(0)]);
    return 1;
  });
  await client.exec('drop table bench_raw_messages');
  return { database: 'pglite', multiRowPerSecond: multiRow, singleRowPerSecond: single };
}

// --- the run ---------------------------------------------------------------------------------

try {
  const kith = await kithRuns();
  log('ceiling: raw ws');
  const ws = await wsCeiling(Math.min(MS, 2000));
  log('ceiling: raw crypto per message');
  const crypto = cryptoCeiling(Math.min(MS, 2000) / 2);
  log("ceiling: raw INSERT into B's database");
  const db = await dbCeiling(kith.b, Math.min(MS, 2000));

  const ceilingPerMessage = Math.min(ws.oneHopPerSecond, crypto.rawPerMessagePerSecond, db.multiRowPerSecond);
  // Every layer's cost paid in turn on this one thread: one frame, the crypto of both ends at its
  // floor (keys built once), and the rows one message needs at the least (A's copy, B's copy).
  // Computed, not measured; on Postgres the database's share runs in other processes, so it is
  // a lower bound there.
  const seriesPerSecond =
    1 /
    (1 / ws.oneHopPerSecond +
      1 / crypto.keyObjectPerMessagePerSecond +
      ROWS_PER_MESSAGE / db.multiRowPerSecond);
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    database: db.database,
    messageBytes: 1024,
    ms: MS,
    window: WINDOW,
    kith: {
      oneHop: { throughput: kith.oneHop, latency: kith.oneHopLatency },
      relayed: { throughput: kith.relayed, latency: kith.relayedLatency },
      storedAtB: kith.storedAtB,
    },
    ceiling: { ws, crypto, db, seriesPerSecond },
    ratio: {
      oneHopVsWs: kith.oneHop.messagesPerSecond / ws.oneHopPerSecond,
      relayedVsWs2Hops: kith.relayed.messagesPerSecond / ws.twoHopPerSecond,
      oneHopVsCrypto: kith.oneHop.messagesPerSecond / crypto.rawPerMessagePerSecond,
      oneHopVsDbMultiRow: kith.oneHop.messagesPerSecond / db.multiRowPerSecond,
      oneHopVsTightestCeiling: kith.oneHop.messagesPerSecond / ceilingPerMessage,
      oneHopVsSeries: kith.oneHop.messagesPerSecond / seriesPerSecond,
      /** One-way Kith latency against a whole raw round trip, per paced rate. */
      latencyP50VsWsRtt: kith.oneHopLatency.map((l) => ({
        rate: l.ratePerSecond,
        ratio: l.p50 / ws.rtt.p50,
      })),
    },
  };
  if (JSON_OUT) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const n = (x: number, d = 0) =>
      x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
    const r = (x: number) => (x < 0.01 ? x.toFixed(4) : x.toFixed(2));
    console.log(`\n1 KiB texts, ${result.database}, Node ${process.version}, ${result.date}\n`);
    console.log(
      '| path | msgs/s end to end | sendText/s | sent | stored at B | frames at B per message | CPU ms per message |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const [name, t] of [
      ['Kith one hop (A → B)', kith.oneHop],
      ['Kith relayed (A → N → B)', kith.relayed],
    ] as const) {
      console.log(
        `| ${name} | ${n(t.messagesPerSecond)} | ${n(t.sendPerSecond)} | ${n(t.sent)} | ${n(t.received)}${t.drained ? '' : ' (not drained)'} | ${n(t.framesAtBPerMessage, 2)} | ${n(t.cpuMsPerMessage, 2)} |`,
      );
    }
    console.log('\n| path | paced msgs/s | latency p50 ms | p99 ms | samples | sendText returns, p50 ms |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [name, ls] of [
      ['Kith one hop', kith.oneHopLatency],
      ['Kith relayed', kith.relayedLatency],
    ] as const) {
      for (const l of ls)
        console.log(
          `| ${name} | ${l.ratePerSecond} | ${n(l.p50, 2)} | ${n(l.p99, 2)} | ${l.count} | ${n(l.sendTextP50, 2)} |`,
        );
    }
    console.log(
      `| raw ws round trip (ping-pong) | — | ${n(ws.rtt.p50, 3)} | ${n(ws.rtt.p99, 3)} | ${ws.rtt.count} | — |`,
    );
    console.log('\n| layer | ceiling (same run) | /s | one hop / ceiling | relayed / ceiling |');
    console.log('|---|---|---:|---:|---:|');
    const oh = kith.oneHop.messagesPerSecond;
    const rl = kith.relayed.messagesPerSecond;
    const row = (
      layer: string,
      what: string,
      perSecond: number,
      relayedCeiling = perSecond,
      shown = n(perSecond),
    ) => console.log(`| ${layer} | ${what} | ${shown} | ${r(oh / perSecond)} | ${r(rl / relayedCeiling)} |`);
    row(
      'transport',
      'raw ws, 1 KiB frames one way (relayed: through a forwarder)',
      ws.oneHopPerSecond,
      ws.twoHopPerSecond,
      `${n(ws.oneHopPerSecond)} (${n(ws.twoHopPerSecond)})`,
    );
    row(
      'crypto',
      '1 Ed25519 sign + 1 verify + XChaCha20-Poly1305 seal + open 1 KiB',
      crypto.rawPerMessagePerSecond,
    );
    row(
      'crypto (floor)',
      'the same with node:crypto KeyObjects built once and plain ChaCha20-Poly1305',
      crypto.keyObjectPerMessagePerSecond,
    );
    row('database', `multi-row INSERT, ${BATCH} rows of 1 KiB per statement`, db.multiRowPerSecond);
    row(
      'crypto (context)',
      `Kith core per message today: seal, verify, open, 1/${WINDOW} of a v2 receipt sign + verify`,
      crypto.kithPerMessagePerSecond,
    );
    row('database (context)', 'one autocommit INSERT per row', db.singleRowPerSecond);
    row(
      'all layers in series',
      `computed: 1 / (frame + crypto floor + ${ROWS_PER_MESSAGE} rows), one thread`,
      seriesPerSecond,
    );
    console.log(
      `\nEd25519 on one core (native): sign ${n(crypto.signPerSecond)}/s, verify ${n(crypto.verifyPerSecond)}/s. ` +
        `B stored all ${n(kith.storedAtB)} messages A sent during the run, each once.`,
    );
  }
} finally {
  for (const c of cleanup) await c();
  for (const db of databases) await admin?.unsafe(`drop database if exists "${db}" with (force)`);
  await admin?.end({ timeout: 5 });
}
