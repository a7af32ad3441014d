import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/helpers/database.ts';

/** `main.ts` run as a real process, as `kith agent` and the container run it (PGlite). */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

type Proc = ChildProcessByStdio<null, Readable, Readable>;
const procs: Proc[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function startAgent(args: string[], env: Record<string, string> = {}) {
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    // DATABASE_URL unset: this suite is about the PGlite data dir and its lock.
    env: { ...process.env, DATABASE_URL: '', KITH_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  proc.stdout.resume();
  const exit = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  /** Resolves once stderr carries a line containing `text`. */
  const saw = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (stderr.includes(text)) {
          proc.stderr.off('data', check);
          resolve();
        }
      };
      proc.stderr.on('data', check);
      void exit.then(() =>
        stderr.includes(text) ? resolve() : reject(new Error(`exited without "${text}":\n${stderr}`)),
      );
      check();
    });
  return { proc, exit, saw, stderr: () => stderr };
}

const PORTS = ['--peer-port', '0', '--api-port', '0', '--web-port', '0'];

describe('main (the agent as a process)', () => {
  it('boots on PGlite, serves the API, refuses a second agent on the same data dir, and exits 0 on SIGTERM', async () => {
    const data = await makeTempDir('kith-main-');
    dirs.push(data);
    const first = startAgent(['--data', data, ...PORTS]);
    await first.saw('agent started');
    const info = JSON.parse(readFileSync(join(data, 'api.json'), 'utf8')) as { url: string; pid: number };
    expect(info.pid).toBe(first.proc.pid);
    const health = await fetch(`${info.url}/api/health`);
    expect(await health.json()).toMatchObject({ ok: true, database: 'pglite' });
    expect(existsSync(join(data, 'db.lock'))).toBe(true);

    const second = startAgent(['--data', data, ...PORTS]);
    expect(await second.exit).toBe(1);
    expect(second.stderr()).toContain('error DATA_DIR_LOCKED:');
    expect(second.stderr()).toContain(`Process ${first.proc.pid}`);

    first.proc.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(first.stderr()).toContain('agent stopped');
    expect(existsSync(join(data, 'db.lock'))).toBe(false);
    expect(existsSync(join(data, 'api.json'))).toBe(false);
    expect(existsSync(join(data, 'api-token'))).toBe(true);
  }, 90_000);

  it('exits 2 naming the setting when the configuration is invalid', async () => {
    const bad = startAgent(['--api-port', 'lots'], { KITH_DATA: '/nonexistent-kith' });
    expect(await bad.exit).toBe(2);
    expect(bad.stderr()).toContain('error CONFIG_INVALID:');
    expect(bad.stderr()).toContain('--api-port is "lots": expected an integer port');
  });

  it('exits 2 on an unknown flag', async () => {
    const bad = startAgent(['--frobnicate']);
    expect(await bad.exit).toBe(2);
    expect(bad.stderr()).toContain('error USAGE:');
  });
});
