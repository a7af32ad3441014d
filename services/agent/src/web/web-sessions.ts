/**
 * Sign-in codes and sessions of the web UI (docs/SECURITY.md "Web UI"). The agent owns them, so
 * the CLI can mint a code while the web part runs in another process, and sessions survive
 * restarts. Only SHA-256 hashes of codes and session secrets are kept, in DATA/web-sessions.json
 * (0600); the secrets themselves exist only in the browser's cookie and the code's URL.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { constantTimeEqual, type RandomSource } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { writeFileAtomic } from '../keystore/atomic-write.ts';
import { WEB_CODE_TTL_MS } from '@kith/api/schemas/control';

export const WEB_SESSIONS_FILE = 'web-sessions.json';
/** A sign-in code works once, within this time. */
export const CODE_TTL_MS = WEB_CODE_TTL_MS;
/** A session unused this long is dropped. */
export const SESSION_IDLE_MS = 30 * 24 * 3600_000;
/** Failed redemptions allowed per window (all callers together: codes are short). */
export const MAX_FAILED_REDEEMS = 10;
export const REDEEM_WINDOW_MS = 60_000;
const MAX_CODES = 32;
const MAX_SESSIONS = 64;
/** Crockford base32 without I, L, O, U: easy to read aloud and type on a phone. */
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 10;

export interface StoredCode {
  hash: string;
  expiresAt: number;
}
export interface StoredSession {
  id: string;
  hash: string;
  createdAt: number;
  lastSeenAt: number;
  agent: string;
}
export interface StoredFile {
  version: 1;
  codes: StoredCode[];
  sessions: StoredSession[];
}

export interface WebSessionView {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  agent: string;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
/** A time `new Date()` can show (toISOString throws a RangeError past ±8.64e15 ms). */
const isTime = (t: unknown) => Number.isSafeInteger(t) && (t as number) >= 0 && (t as number) <= 8.64e15;
const isStoredCode = (c: unknown): c is StoredCode =>
  isRecord(c) && typeof c.hash === 'string' && isTime(c.expiresAt);
const isStoredSession = (s: unknown): s is StoredSession =>
  isRecord(s) &&
  ['id', 'hash', 'agent'].every((k) => typeof s[k] === 'string') &&
  ['createdAt', 'lastSeenAt'].every((k) => isTime(s[k]));

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * web-sessions.json's text to its state, without file I/O (fuzzed on its own, docs/SECURITY.md
 * "Fuzzing"): FILE_UNREADABLE when it is not JSON, "empty" when it is JSON of another shape
 * (the state stays as it was).
 */
export function parseWebSessionsFile(text: string): StoredFile | 'empty' {
  let parsed: StoredFile | null;
  try {
    parsed = JSON.parse(text) as StoredFile | null;
  } catch (e) {
    throw new KithError('FILE_UNREADABLE', undefined, { cause: e });
  }
  if (parsed?.version !== 1 || !Array.isArray(parsed.codes) || !Array.isArray(parsed.sessions))
    return 'empty';
  // Entries of the wrong shape are dropped: a damaged entry must not fail a later request.
  return {
    version: 1,
    codes: parsed.codes.filter(isStoredCode),
    sessions: parsed.sessions.filter(isStoredSession),
  };
}

/** Codes are typed by people: spaces, dashes and case do not matter. */
export function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

export class WebSessions {
  private readonly path: string;
  private state: StoredFile = { version: 1, codes: [], sessions: [] };
  private failures: number[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    dataDir: string,
    private readonly clock: () => number,
    private readonly random: RandomSource,
  ) {
    this.path = join(dataDir, WEB_SESSIONS_FILE);
  }

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new KithError('FILE_UNREADABLE', undefined, { cause: e });
    }
    const parsed = parseWebSessionsFile(text);
    if (parsed !== 'empty') this.state = parsed;
  }

  /** Serialises changes so two requests never write over each other's state. */
  private change<T>(fn: () => T): Promise<T> {
    const next = this.queue.then(async () => {
      this.prune();
      const result = fn();
      await writeFileAtomic(this.path, `${JSON.stringify(this.state)}\n`, 0o600);
      return result;
    });
    this.queue = next.catch(() => {});
    return next;
  }

  private prune(): void {
    const now = this.clock();
    this.state.codes = this.state.codes.filter((c) => c.expiresAt > now);
    this.state.sessions = this.state.sessions.filter((s) => now - s.lastSeenAt < SESSION_IDLE_MS);
  }

  async createCode(ttlMs = CODE_TTL_MS): Promise<{ code: string; expiresAt: string }> {
    const bytes = this.random(CODE_LENGTH);
    // 32 symbols: the low five bits of each byte are uniform.
    const code = [...bytes].map((b) => CODE_ALPHABET[b & 31]).join('');
    const expiresAt = this.clock() + ttlMs;
    await this.change(() => {
      this.state.codes.push({ hash: sha256(code), expiresAt });
      this.state.codes = this.state.codes.slice(-MAX_CODES);
    });
    return { code, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** Trades a code for a session (once). Failures count against a shared limit. */
  async redeem(code: string, agent: string): Promise<{ session: WebSessionView; secret: string }> {
    const now = this.clock();
    this.failures = this.failures.filter((t) => now - t < REDEEM_WINDOW_MS);
    if (this.failures.length >= MAX_FAILED_REDEEMS) throw new KithError('WEB_RATE_LIMITED');
    const hash = Buffer.from(sha256(normaliseCode(code)), 'hex');
    return this.change(() => {
      const index = this.state.codes.findIndex((c) => constantTimeEqual(Buffer.from(c.hash, 'hex'), hash));
      if (index < 0) {
        this.failures.push(now);
        throw new KithError('WEB_CODE_INVALID');
      }
      this.state.codes.splice(index, 1);
      const secret = Buffer.from(this.random(32)).toString('base64url');
      const stored: StoredSession = {
        id: Buffer.from(this.random(9)).toString('base64url'),
        hash: sha256(secret),
        createdAt: now,
        lastSeenAt: now,
        agent: agent.slice(0, 200),
      };
      this.state.sessions.push(stored);
      // Oldest sessions go first when a person signs in from very many browsers.
      this.state.sessions = this.state.sessions.slice(-MAX_SESSIONS);
      return { session: view(stored), secret };
    });
  }

  /** The session a cookie's secret belongs to; marks it used (at most once a minute on disk). */
  async check(secret: string): Promise<WebSessionView> {
    const hash = Buffer.from(sha256(secret), 'hex');
    const now = this.clock();
    const found = this.state.sessions.find(
      (s) => constantTimeEqual(Buffer.from(s.hash, 'hex'), hash) && now - s.lastSeenAt < SESSION_IDLE_MS,
    );
    if (!found) throw new KithError('WEB_SESSION_INVALID');
    if (now - found.lastSeenAt > 60_000)
      await this.change(() => {
        found.lastSeenAt = now;
      });
    return view(found);
  }

  list(): WebSessionView[] {
    this.prune();
    return this.state.sessions.map(view);
  }

  async revoke(id: string): Promise<void> {
    await this.change(() => {
      const before = this.state.sessions.length;
      this.state.sessions = this.state.sessions.filter((s) => s.id !== id);
      if (this.state.sessions.length === before)
        throw new KithError('NOT_FOUND', 'No web session has that id.');
    });
  }
}

function view(s: StoredSession): WebSessionView {
  return {
    id: s.id,
    createdAt: new Date(s.createdAt).toISOString(),
    lastSeenAt: new Date(s.lastSeenAt).toISOString(),
    agent: s.agent,
  };
}
