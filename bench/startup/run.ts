/**
 * Startup bench (bench/README.md, "Startup"): wall time of `node -e 0`, `kith --version`,
 * `kith status` (against a running agent) and `kith up` on an empty data dir until it is ready
 * (its local API answers /api/health and its web UI answers GET /), interleaved in one run;
 * medians and the difference to `node -e 0`.
 * The floor of `kith status`: a bare Node process reading the same two files and asking for the
 * same /api/status, with `fetch` and with `node:http` (the CLI's transport): what is left is what
 * the CLI adds; the rest is the agent answering.
 *
 *   node --import tsx bench/startup/run.ts [--runs 7] [--up-runs 3] [--kith bin/kith.mjs …] [--light '--version'] [--json]
 *
 * --kith, repeated, times several checkouts' binaries in the same run (e.g. a copy of main's
 * build and this one's, for a before/after): every row's samples alternate between them, the
 * first of each pair taking turns.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    'up-runs': { type: 'string', default: '3' },
    kith: { type: 'string', multiple: true, default: ['bin/kith.mjs'] },
    // The command timed as "a command that needs no agent" (main before #11 had no --version).
    light: { type: 'string', default: '--version' },
    json: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const UP_RUNS = Number(values['up-runs']);
const KITHS = values.kith!.map((k) => resolve(k));
const HOST = '127.0.0.9';
const scratch = mkdtempSync(join(tmpdir(), 'kith-startup-'));
// No settings from the caller's shell: an empty data dir, PGlite, defaults.
const ENV = {
  ...process.env,
  DATABASE_URL: '',
  KITH_DATA: '',
  KITH_PASSPHRASE_FILE: '',
  KITH_LOG_LEVEL: 'warn',
};

function timeProcess(args: string[]): Promise<number> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', fail);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code === 0) done(ms);
      else fail(new Error(`${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `kith up` on an empty data dir; resolves once it is ready: its local API answers
 * /api/health (the agent writes DATA/api.json once it listens, after its services, the peer
 * port among them, started) and its web UI answers GET / (DATA/web.json). `apiMs` is when the
 * API answered, `readyMs` when both did.
 */
async function startUp(
  kith: string,
  dataDir: string,
): Promise<{ child: ChildProcess; apiMs: number; readyMs: number; cpuMs: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [kith, 'up', '--data', dataDir, '--host', HOST, '--peer-port', '0', '--api-port', '0', '--web-port', '0'],
    { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  let apiMs: number | undefined;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kith up exited ${child.exitCode}: ${stderr}`);
    if (performance.now() - started > 300_000) throw new Error(`kith up not ready after 300 s: ${stderr}`);
    if (apiMs === undefined && (await answers(dataDir, 'api.json', '/api/health')))
      apiMs = performance.now() - started;
    if (apiMs !== undefined && (await answers(dataDir, 'web.json', '/'))) {
      const readyMs = performance.now() - started;
      return { child, apiMs, readyMs, cpuMs: cpuMsOf(child.pid!) };
    }
    await sleep(5);
  }
}

/**
 * CPU time (user + system, every thread) a process has used so far, from /proc (Linux; NaN
 * elsewhere): the work a start does, which a loaded machine stretches less than wall time.
 */
function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Whether the server named in DATA/`file` ({ url }) answers `path` with 200. */
async function answers(dataDir: string, file: string, path: string): Promise<boolean> {
  let url: string | undefined;
  try {
    url = (JSON.parse(readFileSync(join(dataDir, file), 'utf8')) as { url: string }).url;
  } catch {
    return false; // not written yet
  }
  return fetch(`${url}${path}`, { signal: AbortSignal.timeout(2_000) }).then(
    async (r) => {
      await r.arrayBuffer();
      return r.ok;
    },
    () => false,
  );
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const FETCH_STATUS = `
const { readFileSync } = require('node:fs');
const dir = process.argv[1];
const { url } = JSON.parse(readFileSync(dir + '/api.json', 'utf8'));
const token = readFileSync(dir + '/api-token', 'utf8').trim();
fetch(url + '/api/status', { headers: { authorization: 'Bearer ' + token } }).then(async (r) => {
  await r.json();
  if (!r.ok) process.exit(1);
});`;

/** The same call over node:http, as the CLI makes it (packages/api/src/http-transport.ts). */
const HTTP_STATUS = `
const { readFileSync } = require('node:fs');
const http = require('node:http');
const dir = process.argv[1];
const { url } = JSON.parse(readFileSync(dir + '/api.json', 'utf8'));
const token = readFileSync(dir + '/api-token', 'utf8').trim();
http.get(url + '/api/status', { headers: { authorization: 'Bearer ' + token }, agent: false }, (r) => {
  let body = '';
  r.on('data', (c) => (body += c));
  r.on('end', () => {
    JSON.parse(body);
    if (r.statusCode !== 200) process.exit(1);
  });
});`;

const LIGHT = values.light!.split(' ');
const lightName = `kith ${values.light}`;
const ROWS = [
  'node -e 0',
  lightName,
  'node: fetch /api/status (floor)',
  'node: http /api/status (floor)',
  'kith status',
  'kith up: API answers',
  'kith up: ready (API + web UI)',
  'kith up: CPU until ready',
] as const;
/** samples[kith index][row] */
const samples = KITHS.map(
  () => Object.fromEntries(ROWS.map((r) => [r, [] as number[]])) as Record<string, number[]>,
);
/** The variants in this round's order: the first of each round takes turns. */
const order = (round: number) => KITHS.map((_, i) => (i + round) % KITHS.length);
const loadBefore = loadavg();
try {
  // One agent per binary for its `kith status` to talk to; each start is also an `up` sample.
  const agents: { child: ChildProcess; dir: string }[] = [];
  try {
    for (const k of order(0)) {
      const dir = join(scratch, `agent-${k}`);
      const agent = await startUp(KITHS[k]!, dir);
      samples[k]!['kith up: API answers']!.push(agent.apiMs);
      samples[k]!['kith up: ready (API + web UI)']!.push(agent.readyMs);
      samples[k]!['kith up: CPU until ready']!.push(agent.cpuMs);
      agents[k] = { child: agent.child, dir };
    }
    // Warm the file cache once, as a person's second call would be.
    for (const kith of KITHS) await timeProcess([kith, ...LIGHT]);
    for (let i = 0; i < RUNS; i++) {
      for (const k of order(i)) {
        const kith = KITHS[k]!;
        const dir = agents[k]!.dir;
        const row = samples[k]!;
        row['node -e 0']!.push(await timeProcess(['-e', '0']));
        row[lightName]!.push(await timeProcess([kith, ...LIGHT]));
        row['node: fetch /api/status (floor)']!.push(await timeProcess(['-e', FETCH_STATUS, dir]));
        row['node: http /api/status (floor)']!.push(await timeProcess(['-e', HTTP_STATUS, dir]));
        row['kith status']!.push(await timeProcess([kith, 'status', '--data', dir]));
      }
    }
  } finally {
    for (const agent of agents) if (agent) await stop(agent.child);
  }
  for (let i = 1; i < UP_RUNS; i++) {
    for (const k of order(i)) {
      const up = await startUp(KITHS[k]!, join(scratch, `up-${k}-${i}`));
      samples[k]!['kith up: API answers']!.push(up.apiMs);
      samples[k]!['kith up: ready (API + web UI)']!.push(up.readyMs);
      samples[k]!['kith up: CPU until ready']!.push(up.cpuMs);
      await stop(up.child);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const loadAfter = loadavg();

const tables = KITHS.map((kith, k) => {
  const base = median(samples[k]!['node -e 0']!);
  return {
    kith,
    rows: ROWS.map((name) => {
      const xs = samples[k]![name]!;
      return {
        name,
        runs: xs.length,
        medianMs: Math.round(median(xs)),
        minMs: Math.round(Math.min(...xs)),
        overNodeMs: Math.round(median(xs) - base),
        samplesMs: xs.map(Math.round),
      };
    }),
  };
});
const load = { before: loadBefore.map((x) => +x.toFixed(1)), after: loadAfter.map((x) => +x.toFixed(1)) };
if (values.json) {
  process.stdout.write(`${JSON.stringify({ load, tables }, null, 2)}\n`);
} else {
  process.stdout.write(
    `load average (1, 5, 15 min): ${load.before.join(' ')} before, ${load.after.join(' ')} after\n`,
  );
  for (const t of tables) {
    process.stdout.write(
      `\nkith: ${t.kith}\n\n| command | runs | median ms | min ms | median - node -e 0 ms |\n|---|---:|---:|---:|---:|\n`,
    );
    for (const r of t.rows)
      process.stdout.write(
        `| ${r.name} | ${r.runs} | ${r.medianMs} | ${r.minMs} | ${r.name === 'node -e 0' || r.name.includes('CPU') ? '—' : r.overNodeMs} |\n`,
      );
  }
}
