/**
 * Two network namespaces joined by a veth pair, for tests of what happens on a LAN (mDNS
 * multicast reaches the other side and nothing else on the machine): `kith` processes run inside
 * them as a person on each machine would. Making namespaces needs root; `make()` says why not
 * when they cannot be made, and the test skips with that reason.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type CliResult, runKith, spawnKith } from './kith-cli.ts';

export type Side = 'a' | 'b';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

export class NamespacePair {
  readonly tag = randomBytes(3).toString('hex');
  readonly ns: Record<Side, string>;

  constructor(
    /** Each side's address on the shared /24 (unique per test file, so files may run together). */
    readonly addr: Record<Side, string>,
    prefix = 'kith',
  ) {
    this.ns = { a: `${prefix}-a-${this.tag}`, b: `${prefix}-b-${this.tag}` };
  }

  /** Makes the namespaces and the link; returns why not when it cannot (not root, no `ip`). */
  make(): string | undefined {
    if (process.getuid?.() !== 0) return 'not root: network namespaces need root';
    const { ns, tag, addr } = this;
    try {
      ip('netns', 'add', ns.a);
      ip('netns', 'add', ns.b);
      ip('link', 'add', `ka${tag}`, 'type', 'veth', 'peer', 'name', `kb${tag}`);
      ip('link', 'set', `ka${tag}`, 'netns', ns.a);
      ip('link', 'set', `kb${tag}`, 'netns', ns.b);
      for (const side of ['a', 'b'] as const) {
        const dev = `k${side}${tag}`;
        ip('-n', ns[side], 'addr', 'add', `${addr[side]}/24`, 'dev', dev);
        ip('-n', ns[side], 'link', 'set', dev, 'up', 'multicast', 'on');
        ip('-n', ns[side], 'link', 'set', 'lo', 'up');
      }
      return undefined;
    } catch (err) {
      this.remove();
      return `network namespaces cannot be made here (${(err as Error).message.split('\n')[0]})`;
    }
  }

  remove(): void {
    for (const ns of Object.values(this.ns)) {
      try {
        ip('netns', 'del', ns);
      } catch {}
    }
  }

  prefix(side: Side): string[] {
    return ['ip', 'netns', 'exec', this.ns[side]];
  }

  /** Runs `kith ARGS` inside a namespace, as a person there would. */
  kith(side: Side, args: string[], timeoutMs = 120_000): Promise<CliResult> {
    return runKith(args, { prefix: this.prefix(side), env: { DATABASE_URL: '' }, timeoutMs });
  }

  /**
   * Starts `kith up` inside a namespace on its address (peer port 7470, API 7471), its log in
   * DATA/node.log; resolves once it runs.
   */
  async up(side: Side, dataDir: string, extra: string[] = []): Promise<ChildProcess> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const log = createWriteStream(join(dataDir, 'node.log'), { flags: 'a' });
    const node = spawnKith(
      [
        'up',
        '--data',
        dataDir,
        '--host',
        this.addr[side],
        '--peer-port',
        '7470',
        '--api-port',
        '7471',
        '--log-level',
        'debug',
        ...extra,
      ],
      { prefix: this.prefix(side), env: { DATABASE_URL: '' } },
    );
    node.child.stderr!.on('data', (d: Buffer) => log.write(d));
    await node.waitForOutput('kith: running as', 400_000).catch((err: Error) => {
      throw new Error(`node ${side} did not start: ${err.message.slice(-3000)}`);
    });
    return node.child;
  }

  /** GET /api/PATH on the agent inside a namespace (its local API listens on that namespace's loopback). */
  api(side: Side, dataDir: string, path: string): Promise<unknown> {
    const script = `
      const fs = require('node:fs');
      const { url } = JSON.parse(fs.readFileSync(${JSON.stringify(join(dataDir, 'api.json'))}, 'utf8'));
      const token = fs.readFileSync(${JSON.stringify(join(dataDir, 'api-token'))}, 'utf8').trim();
      fetch(url + '/api' + ${JSON.stringify(path)}, { headers: { authorization: 'Bearer ' + token } })
        .then((r) => r.text()).then((t) => process.stdout.write(t));`;
    return new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', this.ns[side], process.execPath, '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.on('error', reject);
      child.on('close', () => {
        try {
          resolve(JSON.parse(out));
        } catch (err) {
          reject(err);
        }
      });
    });
  }
}
