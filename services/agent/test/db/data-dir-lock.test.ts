import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { isKithError } from '@kith/core/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { acquireDataDirLock } from '@kith/db/data-dir-lock';
import { openDatabase } from '@kith/db/database';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/data-dir-child.ts', import.meta.url));

type Child = ChildProcessByStdio<null, Readable, Readable>;
const children: Child[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await makeTempDir('kith-lock-');
  dirs.push(d);
  return d;
}

function startChild(
  mode: 'open' | 'hold',
  dir: string,
): { child: Child; firstLine: Promise<Record<string, unknown>> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, dir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const firstLine = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as Record<string, unknown>);
    });
    child.on('close', (code) => reject(new Error(`child exited ${code} without a report: ${err}`)));
  });
  return { child, firstLine };
}

function exited(child: Child): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.on('close', r));
}

function lockedError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('data-dir lock', () => {
  it('a second process cannot open the PGlite database this process has open', async () => {
    const dir = await tempDir();
    const database = await openDatabase({ dataDir: dir });
    try {
      const owner = JSON.parse(readFileSync(join(dir, 'db.lock'), 'utf8')) as { pid: number };
      expect(owner.pid).toBe(process.pid);
      const { firstLine } = startChild('open', dir);
      const report = await firstLine;
      expect(report.code).toBe('DATA_DIR_LOCKED');
      expect(String(report.message)).toContain(`Process ${process.pid}`);
    } finally {
      await database.close();
    }
    expect(existsSync(join(dir, 'db.lock'))).toBe(false);
  });

  it('this process is refused while another process holds the lock, and takes over once it died', async () => {
    const dir = await tempDir();
    const { child, firstLine } = startChild('hold', dir);
    expect((await firstLine).holding).toBe(true);

    const refused = lockedError(() => acquireDataDirLock(join(dir, 'db.lock')));
    expect(isKithError(refused, 'DATA_DIR_LOCKED')).toBe(true);
    expect((refused as Error).message).toContain(`Process ${child.pid}`);
    await expect(openDatabase({ dataDir: dir })).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });

    // Killed without a chance to clean up: the lock file stays, naming a dead pid.
    child.kill('SIGKILL');
    await exited(child);
    expect(existsSync(join(dir, 'db.lock'))).toBe(true);
    const lock = acquireDataDirLock(join(dir, 'db.lock'));
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it('a holder that stops cleanly removes its lock', async () => {
    const dir = await tempDir();
    const { child, firstLine } = startChild('hold', dir);
    expect((await firstLine).holding).toBe(true);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(existsSync(join(dir, 'db.lock'))).toBe(false);
  });

  it('a second opener inside the same process is refused too; release makes it free again', async () => {
    const path = join(await tempDir(), 'db.lock');
    const first = acquireDataDirLock(path);
    expect(
      isKithError(
        lockedError(() => acquireDataDirLock(path)),
        'DATA_DIR_LOCKED',
      ),
    ).toBe(true);
    first.release();
    first.release(); // idempotent
    const again = acquireDataDirLock(path);
    again.release();
  });

  it('takes over a lock whose owner is this pid in a former life (container restarts reuse pids)', async () => {
    const path = join(await tempDir(), 'db.lock');
    writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'old' }));
    const lock = acquireDataDirLock(path);
    expect(JSON.parse(readFileSync(path, 'utf8')).nonce).not.toBe('old');
    lock.release();
  });

  it('takes over a lock whose pid is alive but belongs to a process started at another time', async () => {
    const path = join(await tempDir(), 'db.lock');
    writeFileSync(
      path,
      JSON.stringify({ pid: process.ppid, host: hostname(), started: '1', nonce: 'reused' }),
    );
    const lock = acquireDataDirLock(path);
    lock.release();
  });

  it('takes over an unreadable (half-written) lock file', async () => {
    const path = join(await tempDir(), 'db.lock');
    writeFileSync(path, '{"pid":');
    acquireDataDirLock(path).release();
  });

  it('refuses a lock held from another host (a shared volume): its pid cannot be checked', async () => {
    const path = join(await tempDir(), 'db.lock');
    writeFileSync(path, JSON.stringify({ pid: 1, host: `not-${hostname()}`, nonce: 'n' }));
    const refused = lockedError(() => acquireDataDirLock(path));
    expect(isKithError(refused, 'DATA_DIR_LOCKED')).toBe(true);
    expect((refused as Error).message).toContain(`not-${hostname()}`);
  });
});
