/**
 * Cluster tier (docs/DESIGN.md §11): real `kith up` processes on distinct loopback addresses, driven
 * through the real CLI. Each node keeps its stderr in DATA/node.log for post-mortems.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { TestDatabaseKind } from './database.ts';
import { KITH_BIN, runKith } from './kith-cli.ts';

export interface NodeOptions {
  dataDir: string;
  host: string;
  peerPort: number;
  apiPort: number;
  /** Web UI port; 0 (any free port, see DATA/web.json) when not given. */
  webPort?: number;
  heartbeatMeanMs: number;
  databaseUrl?: string;
  /** How long `start()` waits for the node to say it runs (default 120 s: a loaded machine). */
  startTimeoutMs?: number;
  /** Extra environment for `kith up` (settings a test injects, e.g. KITH_ARCHIVE_HISTORY_AFTER_DAYS). */
  env?: Record<string, string>;
  /** A command `kith up` and `cli()` run under, e.g. `ip netns exec NS` (test hosts). */
  prefix?: string[];
  /** Extra `kith up` arguments (e.g. `--setup web`). */
  args?: string[];
  /** `--log-level` of `kith up` (default debug: a failing test's node.log says the most). */
  logLevel?: string;
  /** The `bin/kith.mjs` to run (default this checkout's; bench/peers compares builds). */
  bin?: string;
  /** The stderr line `start()` waits for (default `kith: running as`; setup mode says it waits). */
  readyLine?: string;
}

export class KithNode {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;

  constructor(public options: NodeOptions) {}

  get dataDir(): string {
    return this.options.dataDir;
  }

  /** Whether `kith up` was started and has not exited. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The `kith up` process id while it runs (bench/peers reads its CPU and memory). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts `kith up` and resolves once it says it runs (or rejects with its log). */
  async start(overrides: Partial<NodeOptions> = {}): Promise<void> {
    this.options = { ...this.options, ...overrides };
    const o = this.options;
    await mkdir(o.dataDir, { recursive: true, mode: 0o700 });
    const log = createWriteStream(join(o.dataDir, 'node.log'), { flags: 'a' });
    // A full disk (the chaos suite's fault) loses log lines, never the test process.
    log.on('error', () => undefined);
    const [command, ...before] = [...(o.prefix ?? []), process.execPath];
    const child = spawn(
      command!,
      [
        ...before,
        o.bin ?? KITH_BIN,
        'up',
        '--data',
        o.dataDir,
        '--host',
        o.host,
        '--peer-port',
        String(o.peerPort),
        '--api-port',
        String(o.apiPort),
        '--web-port',
        String(o.webPort ?? 0),
        '--heartbeat-mean-ms',
        String(o.heartbeatMeanMs),
        '--log-level',
        o.logLevel ?? 'debug',
        ...(o.args ?? []),
      ],
      {
        env: {
          ...process.env,
          DATABASE_URL: o.databaseUrl ?? '',
          KITH_DATA: '',
          KITH_PASSPHRASE_FILE: '',
          // Port windows off unless a test turns them on: these clusters expect a listening port.
          KITH_PORT_WINDOWS: 'off',
          // No NAT-PMP/UPnP requests leave a test (test/netns turns it on inside its namespaces).
          KITH_PORT_MAPPING: 'off',
          ...o.env,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(
        () => reject(new Error(`node ${o.host} did not start:\n${text.slice(-3000)}`)),
        o.startTimeoutMs ?? 120_000,
      );
      const ready = o.readyLine ?? 'kith: running as';
      child.stderr!.on('data', (d: Buffer) => {
        log.write(d);
        if (!text.includes(ready)) {
          text += d.toString();
          if (text.includes(ready)) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
      void this.exited!.then((code) => {
        clearTimeout(timer);
        reject(new Error(`node ${o.host} exited (${code}) before it ran:\n${text.slice(-3000)}`));
      });
    });
  }

  /** SIGTERM and wait: a clean stop. */
  async stop(): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null) return this.child?.exitCode ?? null;
    this.child.kill('SIGTERM');
    return this.exited!;
  }

  /** SIGKILL: a crash. */
  async kill(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async cli<T = unknown>(...args: string[]): Promise<T> {
    const r = await runKith([...args, '--data', this.dataDir, '--json'], {
      ...(this.options.prefix ? { prefix: this.options.prefix } : {}),
    });
    if (r.code !== 0) throw new Error(`kith ${args.join(' ')} failed (${r.code}): ${r.stdout} ${r.stderr}`);
    return r.json as T;
  }

  /** Calls the node's local API directly (for what the CLI does not print, e.g. an invite's SAS). */
  async api<T = unknown>(path: string): Promise<T> {
    const { url } = JSON.parse(await readFile(join(this.dataDir, 'api.json'), 'utf8')) as { url: string };
    const token = (await readFile(join(this.dataDir, 'api-token'), 'utf8')).trim();
    const res = await fetch(`${url}/api${path}`, { headers: { authorization: `Bearer ${token}` } });
    return (await res.json()) as T;
  }

  async apiPost<T = unknown>(path: string, body: unknown): Promise<T> {
    const { url } = JSON.parse(await readFile(join(this.dataDir, 'api.json'), 'utf8')) as { url: string };
    const token = (await readFile(join(this.dataDir, 'api-token'), 'utf8')).trim();
    const res = await fetch(`${url}/api${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async log(): Promise<string> {
    return readFile(join(this.dataDir, 'node.log'), 'utf8').catch(() => '');
  }
}

/**
 * Pairs two running nodes as friends the way two people do at the command line: `kith invite`,
 * `kith accept` (the acceptor's person says the six digits match), then the inviter's person
 * confirms too (`kith confirm`). Returns what `accept` printed.
 */
export async function pairAndConfirm(
  inviter: KithNode,
  acceptor: KithNode,
): Promise<{ userId: string; sas: string; state: string }> {
  const invite = await inviter.cli<{ code: string }>('invite');
  const accepted = await acceptor.cli<{ userId: string; sas: string; state: string }>(
    'accept',
    invite.code,
    '--yes-digits-match',
  );
  const acceptorId = (await acceptor.cli<{ userId: string }>('status')).userId;
  await inviter.cli('confirm', acceptorId);
  return accepted;
}

export interface PeerJson {
  deviceId: string;
  userId: string;
  online: boolean;
  address: string | null;
  addresses: string[];
  clockOffsetMs: number | null;
  status: string;
}

/**
 * Polls until `check` returns a value other than undefined/false; fails with the last state.
 * The default ceiling is generous: on a loaded two-core CI machine links and archive passes take
 * several times longer than alone, and a wait only ever ends early on success.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 90_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * One database per cluster node: nothing for PGlite (it lives in the node's data dir), a fresh
 * Postgres database per node otherwise, dropped at the end.
 */
export class ClusterDatabases {
  private readonly admin: postgres.Sql | undefined;
  private readonly created: string[] = [];

  constructor(readonly kind: TestDatabaseKind) {
    if (kind === 'postgres') this.admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  }

  /** A database URL for a new node, or undefined on PGlite. */
  async urlFor(prefix: string): Promise<string | undefined> {
    if (!this.admin) return undefined;
    const name = `${prefix}_${randomBytes(5).toString('hex')}`;
    await this.admin.unsafe(`create database "${name}"`);
    this.created.push(name);
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** A not-yet-started node on `host`, with its own ports and (on Postgres) its own database. */
  async node(dataDir: string, host: string, heartbeatMeanMs: number): Promise<KithNode> {
    const databaseUrl = await this.urlFor('kith_node');
    return new KithNode({
      dataDir,
      host,
      ...nextPorts(),
      heartbeatMeanMs,
      ...(databaseUrl ? { databaseUrl } : {}),
    });
  }

  async dispose(): Promise<void> {
    if (!this.admin) return;
    for (const name of this.created)
      await this.admin.unsafe(`drop database if exists "${name}" with (force)`);
    await this.admin.end({ timeout: 5 });
  }
}

let nextPort = 20_000 + Math.floor(Math.random() * 30_000);

/** Two free-looking ports per node from a per-process range (the test hosts are distinct anyway). */
export function nextPorts(): { peerPort: number; apiPort: number } {
  const peerPort = nextPort++;
  return { peerPort, apiPort: nextPort++ };
}

/**
 * The one database kind a slower cluster suite runs on: Postgres when DATABASE_URL is set (CI),
 * else PGlite. The network suite runs on both; the others on one, to keep the suite's time in check.
 */
export function clusterDatabaseKind(): TestDatabaseKind[] {
  return [process.env.DATABASE_URL ? 'postgres' : 'pglite'];
}
