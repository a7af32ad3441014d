/**
 * Kith as a person's app sees it: two `kith up` processes on loopback, paired as friends; the
 * driver (this process, like any client) POSTs each message to A's local API and counts B's
 * `message.received` events on B's event stream. CPU and memory are the two agents'.
 */
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { WebSocket } from 'ws';
import { ClusterDatabases, type KithNode, pairAndConfirm, waitFor } from '../../test/helpers/cluster.ts';
import { makeTempDir } from '../../test/helpers/database.ts';
import type { System } from './system.ts';

const TEXT = 'k'.repeat(1024);
/** The agents' log level: `info` as `kith up` runs by default; KITH_BENCH_LOG_LEVEL=debug to compare. */
const LOG_LEVEL = process.env.KITH_BENCH_LOG_LEVEL ?? 'info';
/** POSTs in flight at once during a burst. */
const WINDOW = 32;

async function apiOf(node: KithNode): Promise<{ url: URL; token: string }> {
  const { url } = JSON.parse(await readFile(join(node.dataDir, 'api.json'), 'utf8')) as { url: string };
  const token = (await readFile(join(node.dataDir, 'api-token'), 'utf8')).trim();
  return { url: new URL(url), token };
}

/** `bin`: the bin/kith.mjs of the build to run (default this checkout's). */
export async function startKithSystem(kind: 'pglite' | 'postgres', bin?: string): Promise<System> {
  const databases = new ClusterDatabases(kind);
  const dir = await makeTempDir('kith-bench-peers-');
  const a = await databases.node(join(dir, 'a'), '127.0.0.41', 2000);
  const b = await databases.node(join(dir, 'b'), '127.0.0.42', 2000);
  for (const node of [a, b]) {
    // At the log level a person's `kith up` runs at (the cluster helper's default is debug).
    node.options.logLevel = LOG_LEVEL;
    if (bin) node.options.bin = resolve(bin);
    // KITH_BENCH_NODE_ARGS: Node options for both agents, e.g. '--cpu-prof --cpu-prof-dir=DIR' for
    // profiles (Node refuses --cpu-prof in NODE_OPTIONS; `exec` keeps the pid the bench reads).
    const nodeArgs = process.env.KITH_BENCH_NODE_ARGS;
    if (nodeArgs) node.options.prefix = ['sh', '-c', `exec "$0" ${nodeArgs} "$@"`];
  }
  await Promise.all([a.start(), b.start()]);
  await pairAndConfirm(a, b);
  const bId = (await b.api<{ userId: string }>('/status')).userId;
  const aId = (await a.api<{ userId: string }>('/status')).userId;
  await waitFor(
    'A and B linked',
    async () =>
      (await a.api<{ userId: string; online: boolean }[]>('/friends')).some(
        (f) => f.userId === bId && f.online,
      ),
    60_000,
  );

  const apiA = await apiOf(a);
  const apiB = await apiOf(b);
  const agent = new Agent({ keepAlive: true, maxSockets: WINDOW });
  const post = (body: string) =>
    new Promise<string>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: apiA.url.hostname,
          port: apiA.url.port,
          path: '/api/messages',
          method: 'POST',
          headers: { authorization: `Bearer ${apiA.token}`, 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve((JSON.parse(text) as { id: string }).id)
              : reject(new Error(text)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const body = JSON.stringify({ to: bId, text: TEXT });

  // B's events: arrival time per message id.
  const arrived = new Map<string, number>();
  const events = new WebSocket(`ws://${apiB.url.host}/api/events`, {
    headers: { authorization: `Bearer ${apiB.token}` },
  });
  events.on('message', (data: Buffer) => {
    const e = JSON.parse(data.toString()) as { type: string; data: { id?: string; from?: string } };
    if (e.type === 'message.received' && e.data.from === aId && e.data.id)
      arrived.set(e.data.id, performance.now());
  });
  await new Promise((resolve, reject) => {
    events.once('open', resolve);
    events.once('error', reject);
  });

  const pacedSent = new Map<string, number>();
  return {
    name: `kith (two kith up, ${kind === 'pglite' ? 'PGlite' : 'Postgres'})${bin ? ` [${bin}]` : ''}`,
    pids: () => [a.pid!, b.pid!],
    async burst(n) {
      let next = 0;
      await Promise.all(
        Array.from({ length: WINDOW }, async () => {
          while (next < n) {
            next++;
            await post(body);
          }
        }),
      );
    },
    async paced(rate, seconds) {
      const start = performance.now();
      const total = Math.round(rate * seconds);
      const posts: Promise<void>[] = [];
      for (let i = 0; i < total; i++) {
        const wait = start + (i * 1000) / rate - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const sentAt = performance.now();
        posts.push(post(body).then((id) => void pacedSent.set(id, sentAt)));
      }
      await Promise.all(posts);
    },
    async counts() {
      let paced = 0;
      for (const id of pacedSent.keys()) if (arrived.has(id)) paced++;
      return [arrived.size - paced, paced];
    },
    async latencies() {
      const out: number[] = [];
      for (const [id, sentAt] of pacedSent) {
        const at = arrived.get(id);
        if (at !== undefined) out.push(at - sentAt);
      }
      return out;
    },
    async stop() {
      events.close();
      agent.destroy();
      await Promise.all([a.stop(), b.stop()]);
      await databases.dispose();
    },
  };
}
