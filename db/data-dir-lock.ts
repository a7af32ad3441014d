import { randomUUID } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { KithError } from '@kith/core/errors';

/**
 * One process at a time per data directory (docs/DESIGN.md §9: PGlite in DATA/db is single-process).
 * The lock is a file created with O_EXCL holding who owns it. A lock left by a process that
 * died is taken over; a live owner gets DATA_DIR_LOCKED. Liveness is the pid plus its start
 * time from /proc where there is one, so a pid reused after a reboot or in a fresh container
 * does not keep the directory locked forever.
 */
export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

interface LockOwner {
  pid: number;
  host: string;
  /** Process start time in clock ticks since boot (Linux), when known. */
  started?: string;
  nonce: string;
}

/** Paths this process holds, so a second opener inside the same process is refused too. */
const heldHere = new Set<string>();

export function acquireDataDirLock(path: string): DataDirLock {
  const me: LockOwner = { pid: process.pid, host: hostname(), nonce: randomUUID() };
  const started = processStartTime(process.pid);
  if (started !== undefined) me.started = started;
  const content = `${JSON.stringify(me)}\n`;

  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, content)) {
      heldHere.add(path);
      return {
        path,
        release() {
          if (!heldHere.delete(path)) return;
          try {
            if (readFileSync(path, 'utf8') === content) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    }
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch {
      continue; // removed between our create and read: try again
    }
    const owner = parseOwner(raw);
    if (owner && isAlive(owner, path)) {
      throw new KithError(
        'DATA_DIR_LOCKED',
        `Process ${owner.pid} on ${owner.host} holds ${path}. Stop that process first (if it is not a Kith process, delete the file) and try again.`,
      );
    }
    takeOver(path, raw);
  }
  throw new KithError('DATA_DIR_LOCKED', `The lock ${path} keeps changing hands; try again.`);
}

function tryCreate(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Moves a stale lock aside atomically. If what we moved is no longer the stale content
 * (someone took the lock over in between) it is put back, and the loop re-examines it.
 */
function takeOver(path: string, staleContent: string): void {
  const aside = `${path}.stale-${process.pid}-${randomUUID()}`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  try {
    if (readFileSync(aside, 'utf8') !== staleContent) linkSync(aside, path);
  } catch {
    // the path was taken again meanwhile: the live owner wins
  } finally {
    unlinkSync(aside);
  }
}

function parseOwner(raw: string): LockOwner | undefined {
  try {
    const o = JSON.parse(raw) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.nonce === 'string') {
      return o as LockOwner;
    }
  } catch {
    // a half-written or foreign file: treat as stale
  }
  return undefined;
}

function isAlive(owner: LockOwner, path: string): boolean {
  // Another machine's process (a shared volume): we cannot check it, so it counts as live.
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return heldHere.has(path);
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (owner.started === undefined) return true;
  const now = processStartTime(owner.pid);
  return now === undefined || now === owner.started;
}

/** Field 22 of /proc/PID/stat (start time); undefined off Linux. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: split after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
