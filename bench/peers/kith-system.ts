/**
 * Kith as a person's app sees it: two `kith up` processes on loopback, paired as friends; the
 * driver (this process, like any client) POSTs each message to A's local API and counts B's
 * `message.received` events on B's event stream. CPU and memory are the two agents'.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { WebSocket } from 'ws';
import { ClusterDatabases, type KithNode, pairAndConfirm, waitFor } from '../../test/helpers/cluster.ts';
import { makeTempDir } from '../../test/helpers/database.ts';
import { cpuMs, peakRssMiB } from './proc-stats.ts';
import type { System } from './system.ts';

const TEXT = 'k'.repeat(1024);
/** The agents' log level: `info` as `kith up` runs by default; KITH_BENCH_LOG_LEVEL=debug to compare. */
const LOG_LEVEL = process.env.KITH_BENCH_LOG_LEVEL ?? 'info';
const BUILD = process.env.KITH_BENCH_BUILD;
const COUNT_DIR = process.env.KITH_BENCH_COUNT_DIR;
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
    // KITH_BENCH_BUILD=DIR runs DIR/bin/kith.mjs instead (a copy of another build, for before/after
    // in one run); KITH_BENCH_COUNT_DIR=DIR loads count-preload.mjs and collects its counters there.
    const nodeArgs = [
      process.env.KITH_BENCH_NODE_ARGS ?? '',
      COUNT_DIR ? `--import ${join(import.meta.dirname, 'count-preload.mjs')}` : '',
    ].join(' ');
    const binArg = BUILD ? `"${join(BUILD, 'bin', 'kith.mjs')}"` : '"$1"';
    node.options.prefix = ['sh', '-c', `b=${binArg}; shift; exec "$0" ${nodeArgs} "$b" "$@"`];
    if (COUNT_DIR) node.options.env = { ...node.options.env, KITH_BENCH_COUNT_DIR: COUNT_DIR };
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
  let cpuAtStart = [0, 0];
  let arrivedAtStart = 0;
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
    async mark(at) {
      // CPU of each agent apart (the table gives their sum).
      const [cpuA, cpuB] = [a.pid!, b.pid!].map(cpuMs);
      if (at === 'start') cpuAtStart = [cpuA!, cpuB!];
      else
        console.error(
          `  CPU ms in the burst: A ${(cpuA! - cpuAtStart[0]!).toFixed(0)}, B ${(cpuB! - cpuAtStart[1]!).toFixed(0)}`,
        );
      if (at === 'start') arrivedAtStart = arrived.size;
      if (COUNT_DIR) {
        for (const pid of [a.pid!, b.pid!]) process.kill(pid, 'SIGUSR2');
        await new Promise((r) => setTimeout(r, 200));
        if (at === 'end') printCounts(COUNT_DIR, { A: a.pid!, B: b.pid! }, arrived.size - arrivedAtStart);
      }
      if (kind === 'postgres') {
        const sql = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
        const names = [a, b].map((n) => new URL(n.options.databaseUrl!).pathname.slice(1));
        const rows =
          await sql`select datname, xact_commit::int, tup_inserted::int, tup_updated::int, tup_deleted::int, tup_fetched::int from pg_stat_database where datname in ${sql(names)}`;
        await sql.end();
        console.error(
          `  postgres ${at}: ${JSON.stringify(rows.map((r) => ({ ...r, node: r.datname === names[0] ? 'A' : 'B' })))}`,
        );
      }
    },
    async stop() {
      console.error(`  peak RSS MiB: A ${peakRssMiB(a.pid!).toFixed(0)}, B ${peakRssMiB(b.pid!).toFixed(0)}`);
      events.close();
      agent.destroy();
      await Promise.all([a.stop(), b.stop()]);
      await databases.dispose();
    },
  };
}

/** Per message over the burst, per agent: the counters' last two snapshots (count-preload.mjs). */
function printCounts(dir: string, pids: Record<string, number>, messages: number): void {
  for (const [who, pid] of Object.entries(pids)) {
    const snaps = readdirSync(dir)
      .filter((f) => f.startsWith(`${pid}-`))
      .sort((x, y) => Number(x.split(/[-.]/)[1]) - Number(y.split(/[-.]/)[1]))
      .slice(-2)
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, number>);
    const [from, to] = snaps.length === 2 ? snaps : [{}, snaps[0] ?? {}];
    const per = Object.keys(to!)
      .sort()
      .map((k) => `${k} ${((to![k]! - (from![k] ?? 0)) / messages).toFixed(3)}`);
    console.error(`  per message on ${who} (${messages}): ${per.join(', ')}`);
  }
}
