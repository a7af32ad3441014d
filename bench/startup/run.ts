/**
 * Startup bench (bench/README.md, "Startup"): wall time of `node -e 0`, `kith --version`,
 * `kith status` (against a running agent) and `kith up` on an empty data dir until its local
 * API answers /api/health, interleaved in one run; medians and the difference to `node -e 0`.
 * The floor of `kith status`: a bare Node process reading the same two files and asking for the
 * same /api/status, with `fetch` and with `node:http` (the CLI's transport): what is left is what
 * the CLI adds; the rest is the agent answering.
 *
 *   node --import tsx bench/startup/run.ts [--runs 7] [--up-runs 3] [--kith bin/kith.mjs] [--light '--version'] [--json]
 *
 * --kith times another checkout's binary (e.g. main's, for a before/after in the same run).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    'up-runs': { type: 'string', default: '3' },
    kith: { type: 'string', default: 'bin/kith.mjs' },
    // The command timed as "a command that needs no agent" (main before #11 had no --version).
    light: { type: 'string', default: '--version' },
    json: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const UP_RUNS = Number(values['up-runs']);
const KITH = resolve(values.kith!);
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

/** Starts `kith up` on an empty data dir; resolves with the time until /api/health answered 200. */
async function startUp(dataDir: string): Promise<{ child: ChildProcess; readyMs: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [KITH, 'up', '--data', dataDir, '--host', HOST, '--peer-port', '0', '--api-port', '0'],
    { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kith up exited ${child.exitCode}: ${stderr}`);
    if (performance.now() - started > 300_000) throw new Error(`kith up not ready after 300 s: ${stderr}`);
    let url: string | undefined;
    try {
      url = (JSON.parse(readFileSync(join(dataDir, 'api.json'), 'utf8')) as { url: string }).url;
    } catch {
      url = undefined; // not written yet
    }
    if (url) {
      const ok = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return { child, readyMs: performance.now() - started };
    }
    await sleep(5);
  }
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
const samples: Record<string, number[]> = {
  'node -e 0': [],
  [lightName]: [],
  'node: fetch /api/status (floor)': [],
  'node: http /api/status (floor)': [],
  'kith status': [],
  'kith up (ready)': [],
};
try {
  // One agent for `kith status` to talk to; its start is also the first `up` sample.
  const agentDir = join(scratch, 'agent');
  const agent = await startUp(agentDir);
  samples['kith up (ready)']!.push(agent.readyMs);
  try {
    await timeProcess([KITH, ...LIGHT]); // warm the file cache once, as a person's second call would be
    for (let i = 0; i < RUNS; i++) {
      samples['node -e 0']!.push(await timeProcess(['-e', '0']));
      samples[lightName]!.push(await timeProcess([KITH, ...LIGHT]));
      samples['node: fetch /api/status (floor)']!.push(await timeProcess(['-e', FETCH_STATUS, agentDir]));
      samples['node: http /api/status (floor)']!.push(await timeProcess(['-e', HTTP_STATUS, agentDir]));
      samples['kith status']!.push(await timeProcess([KITH, 'status', '--data', agentDir]));
    }
  } finally {
    await stop(agent.child);
  }
  for (let i = 1; i < UP_RUNS; i++) {
    const up = await startUp(join(scratch, `up-${i}`));
    samples['kith up (ready)']!.push(up.readyMs);
    await stop(up.child);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const base = median(samples['node -e 0']!);
const rows = Object.entries(samples).map(([name, xs]) => ({
  name,
  runs: xs.length,
  medianMs: Math.round(median(xs)),
  minMs: Math.round(Math.min(...xs)),
  overNodeMs: Math.round(median(xs) - base),
}));
if (values.json) {
  process.stdout.write(`${JSON.stringify({ kith: KITH, rows }, null, 2)}\n`);
} else {
  process.stdout.write(
    `kith: ${KITH}\n\n| command | runs | median ms | min ms | median - node -e 0 ms |\n|---|---:|---:|---:|---:|\n`,
  );
  for (const r of rows)
    process.stdout.write(
      `| ${r.name} | ${r.runs} | ${r.medianMs} | ${r.minMs} | ${r.name === 'node -e 0' ? '—' : r.overNodeMs} |\n`,
    );
}
