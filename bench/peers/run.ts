/**
 * Kith beside its peers, in one run (docs/ARCHITECTURE.md "Messaging performance"): raw ws as
 * the ceiling, js-libp2p (tcp + noise + yamux) stream and gossipsub, hypercore replication
 * (one block per append, and batched), and Kith across two `kith up` processes driven through
 * the local API. Each is two processes on loopback sending 1 KiB messages. Run:
 *   npm run bench:peers -- [--messages 2000] [--rate 20] [--seconds 10] [--db pglite|postgres|both]
 *                          [--only ws,gossipsub,…] [--kith BIN …] [--rounds N] [--json]
 * --kith, repeated, runs Kith from each build given (its bin/kith.mjs; e.g. a copy of main's
 * build beside this checkout's) as rows of their own; --rounds repeats the selection, the
 * builds' order alternating, so a before/after sees the same load.
 * (installs bench/peers' own dependencies first). Reports per system: burst throughput,
 * latency p50/p99 at a paced rate, CPU per message over both ends, peak RSS of both ends,
 * and ratios to raw ws and of Kith to each peer.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startChildSystem } from './child-system.ts';
import { startKithSystem } from './kith-system.ts';
import { cpuMs, peakRssMiB } from './proc-stats.ts';
import type { System } from './system.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const MESSAGES = Number(arg('--messages', '2000'));
const RATE = Number(arg('--rate', '20'));
const SECONDS = Number(arg('--seconds', '10'));
const WARMUP = 200;
const DB = arg('--db', process.env.DATABASE_URL ? 'both' : 'pglite');
const ONLY = arg('--only', '').split(',').filter(Boolean);
const JSON_OUT = args.includes('--json');
const KITH_BINS = args.flatMap((a, i) => (a === '--kith' && args[i + 1] ? [args[i + 1]!] : []));
const ROUNDS = Number(arg('--rounds', '1'));

if (!existsSync(join(import.meta.dirname, 'node_modules', 'libp2p'))) {
  console.error(
    'bench/peers needs its own dependencies: npm ci --prefix bench/peers (npm run bench:peers does it).',
  );
  process.exit(2);
}

const SYSTEMS: { key: string; start: () => Promise<System> }[] = [
  {
    key: 'ws',
    start: () => startChildSystem({ name: 'raw ws (ceiling)', script: 'ws.mjs', listener: 'receiver' }),
  },
  {
    key: 'libp2p',
    start: () =>
      startChildSystem({
        name: 'js-libp2p stream (tcp+noise+yamux)',
        script: 'libp2p.mjs',
        args: ['--mode', 'stream'],
        listener: 'receiver',
      }),
  },
  {
    key: 'gossipsub',
    start: () =>
      startChildSystem({
        name: 'gossipsub (js-libp2p, signed)',
        script: 'libp2p.mjs',
        args: ['--mode', 'gossipsub'],
        listener: 'receiver',
      }),
  },
  {
    key: 'hypercore',
    start: () =>
      startChildSystem({
        name: 'hypercore (durable, 1 block/append)',
        script: 'hypercore.mjs',
        listener: 'sender',
      }),
  },
  {
    key: 'hypercore-batched',
    start: () =>
      startChildSystem({
        name: 'hypercore (durable, 64 blocks/append)',
        script: 'hypercore.mjs',
        args: ['--batch', '64'],
        listener: 'sender',
      }),
  },
  ...(DB === 'pglite' || DB === 'both' ? kithBuilds('kith', 'pglite') : []),
  ...((DB === 'postgres' || DB === 'both') && process.env.DATABASE_URL
    ? kithBuilds('kith-postgres', 'postgres')
    : []),
];

/** One system per build given with --kith (this checkout's when none). */
function kithBuilds(
  key: string,
  kind: 'pglite' | 'postgres',
): { key: string; start: () => Promise<System> }[] {
  const bins = KITH_BINS.length ? KITH_BINS : [undefined];
  return bins.map((bin) => ({ key, start: () => startKithSystem(kind, bin) }));
}

interface Row {
  key: string;
  name: string;
  msgsPerSec: number;
  p50: number;
  p99: number;
  cpuMsPerMessage: number;
  peakRssMiB: number;
  lost: number;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  console.error(`  ${what}: not all arrived within ${timeoutMs / 1000} s`);
  return false;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor(q * s.length))] as number) : Number.NaN;
};

async function measure(key: string, system: System): Promise<Row> {
  const cpu = () => system.pids().reduce((sum, pid) => sum + cpuMs(pid), 0);
  await system.burst(WARMUP);
  await until('warm-up', async () => ((await system.counts())[0] ?? 0) >= WARMUP, 120_000);
  const before = (await system.counts())[0] ?? 0;
  await system.mark?.('start');
  const cpu0 = cpu();
  const t0 = performance.now();
  await system.burst(MESSAGES);
  await until('burst', async () => ((await system.counts())[0] ?? 0) >= before + MESSAGES, 300_000);
  const t1 = performance.now();
  const cpu1 = cpu();
  await system.mark?.('end');
  const burstGot = ((await system.counts())[0] ?? 0) - before;

  const paced = Math.round(RATE * SECONDS);
  await system.paced(RATE, SECONDS);
  await until('paced', async () => ((await system.counts())[1] ?? 0) >= paced, 60_000);
  const latencies = await system.latencies();
  return {
    key,
    name: system.name,
    msgsPerSec: (burstGot / (t1 - t0)) * 1000,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    cpuMsPerMessage: (cpu1 - cpu0) / Math.max(1, burstGot),
    peakRssMiB: system.pids().reduce((sum, pid) => sum + peakRssMiB(pid), 0),
    lost: MESSAGES - burstGot + (paced - latencies.length),
  };
}

const rows: Row[] = [];
const selected = SYSTEMS.filter((s) => !ONLY.length || ONLY.includes(s.key));
for (let round = 0; round < ROUNDS; round++)
  for (const s of round % 2 === 0 ? selected : alternate(selected)) await run(s);

/** The same systems with each run of Kith builds in the opposite order. */
function alternate(list: typeof SYSTEMS): typeof SYSTEMS {
  const out: typeof SYSTEMS = [];
  for (const s of list) {
    const last = out.at(-1);
    if (last && last.key === s.key && s.key.startsWith('kith')) {
      let i = out.length - 1;
      while (i > 0 && out[i - 1]!.key === s.key) i--;
      out.splice(i, 0, s);
    } else out.push(s);
  }
  return out;
}

async function run(s: (typeof SYSTEMS)[number]): Promise<void> {
  process.stderr.write(`${s.key}…\n`);
  const system = await s.start();
  try {
    rows.push(await measure(s.key, system));
  } finally {
    await system.stop();
  }
}

const fmt = (x: number, digits = 0) =>
  Number.isFinite(x)
    ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '—';
const ceiling = rows.find((r) => r.key === 'ws');
if (JSON_OUT) {
  console.log(JSON.stringify({ messages: MESSAGES, rate: RATE, seconds: SECONDS, rows }, null, 2));
} else {
  console.log(
    `${MESSAGES} messages of 1 KiB per burst; latency at ${RATE} msgs/s for ${SECONDS} s; two processes each, loopback\n`,
  );
  console.log(
    '| system | msgs/s | × raw ws | p50 ms | p99 ms | CPU ms/msg (both ends) | peak RSS MiB (both) | lost |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.name} | ${fmt(r.msgsPerSec)} | ${ceiling ? fmt(r.msgsPerSec / ceiling.msgsPerSec, 3) : '—'} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.cpuMsPerMessage, 3)} | ${fmt(r.peakRssMiB)} | ${r.lost} |`,
    );
  const peers = rows.filter((r) => !r.key.startsWith('kith') && r.key !== 'ws');
  for (const k of rows.filter((r) => r.key.startsWith('kith'))) {
    console.log(`\n${k.name} against each peer (throughput ×, p50 latency ×, CPU per message ×):`);
    for (const p of peers)
      console.log(
        `- ${p.name}: ${fmt(k.msgsPerSec / p.msgsPerSec, 2)}× msgs/s, ${fmt(k.p50 / p.p50, 2)}× p50, ${fmt(k.cpuMsPerMessage / p.cpuMsPerMessage, 2)}× CPU`,
      );
  }
}
process.exit(0);
