/**
 * Drives the appliance (docker-compose.yml) from a test: the image built once, a stack under its
 * own project name, ports published on 127.0.0.1 only. Works with Compose v2 (`docker compose`)
 * and Debian's docker-compose 1.29.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: Uint8Array | string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', reject);
    // A command that exits without reading its input (most do) makes this write fail with EPIPE;
    // unheard, that error was an uncaught exception that failed the whole run. The exit code says
    // what happened.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Why the appliance tier cannot run here, or undefined when a Docker engine answers. */
export function engineProblem(): string | undefined {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' });
  if (info.error) return 'the docker command is not installed';
  if (info.status !== 0) return `no Docker engine answers (${info.stderr.trim().split('\n')[0]})`;
  if (composeCommand() === undefined) return 'neither `docker compose` nor `docker-compose` is installed';
  return undefined;
}

let compose: string[] | undefined | null = null;
export function composeCommand(): string[] | undefined {
  if (compose !== null) return compose;
  if (spawnSync('docker', ['compose', 'version']).status === 0) compose = ['docker', 'compose'];
  else if (spawnSync('docker-compose', ['version']).status === 0) compose = ['docker-compose'];
  else compose = undefined;
  return compose;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export class Stack {
  readonly project = `kithtest${randomBytes(4).toString('hex')}`;
  constructor(readonly env: Record<string, string>) {}

  async compose(args: string[], options: { input?: Uint8Array | string; timeoutMs?: number } = {}) {
    const [cmd, ...pre] = composeCommand()!;
    return run(cmd!, [...pre, '-f', 'docker-compose.yml', ...args], {
      env: { ...this.env, COMPOSE_PROJECT_NAME: this.project },
      ...options,
    });
  }

  /** Like compose() but throws with the output when the command fails. */
  async ok(args: string[], options: { input?: Uint8Array | string; timeoutMs?: number } = {}) {
    const r = await this.compose(args, options);
    if (r.code !== 0)
      throw new Error(`compose ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r;
  }

  /** `kith ARGS --json` in the running agent container. */
  async kith<T>(...args: string[]): Promise<T> {
    const r = await this.ok(['exec', '-T', 'agent', 'kith', ...args, '--json']);
    return JSON.parse(r.stdout.toString()) as T;
  }

  async containerIds(): Promise<Record<string, string>> {
    const ids: Record<string, string> = {};
    for (const service of ['db', 'agent', 'consensus', 'web']) {
      const r = await this.compose(['ps', '-q', service]);
      const id = r.stdout.toString().trim();
      if (id) ids[service] = id;
    }
    return ids;
  }

  /** Health of each of the four services ("healthy", "starting", … or "missing"). */
  async health(): Promise<Record<string, string>> {
    const ids = await this.containerIds();
    const out: Record<string, string> = {};
    for (const service of ['db', 'agent', 'consensus', 'web']) {
      const id = ids[service];
      if (!id) {
        out[service] = 'missing';
        continue;
      }
      const r = await run('docker', ['inspect', '-f', '{{.State.Health.Status}}', id]);
      out[service] = r.stdout.toString().trim() || 'unknown';
    }
    return out;
  }

  async logs(): Promise<string> {
    const r = await this.compose(['logs', '--no-color', '--tail', '80']);
    return `${r.stdout.toString()}${r.stderr}`;
  }
}
