/**
 * PGlite in a worker thread, seen from the agent's thread (docs/ARCHITECTURE.md "PGlite in a
 * worker thread"). The worker (db/pglite-worker.ts) owns the PGlite instance; this proxy has
 * the part of PGlite's client that drizzle's pglite driver calls, `query`, `exec` and
 * `transaction` (whose callback gets the same three on the transaction, and `rollback`), plus
 * `close`, each a message answered by the worker. What cannot cross the thread boundary is
 * handled here: drizzle's `parsers` (functions: the worker returns those types' text as it
 * came and they run here) and `rowMode`; `serializers`, `blob` and `onNotice` are refused.
 *
 * A worker that dies (crash, out of memory, terminated) fails every waiting and later call with
 * DB_UNAVAILABLE instead of leaving them hanging.
 */
import { Worker } from 'node:worker_threads';
import type { ParserOptions, QueryOptions, Results } from '@electric-sql/pglite';
import { KithError } from '@kith/core/errors';
import { decodeError, type WorkerOpen, type WorkerReply, type WorkerRequest } from './pglite-wire.ts';

type Request = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/** The calls a transaction's callback may make, as on PGlite's own `Transaction`. */
export interface WorkerTransaction {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  exec(sql: string, options?: QueryOptions): Promise<Results[]>;
  rollback(): Promise<void>;
  readonly closed: boolean;
}

/**
 * The worker's entry: dist/pglite-worker.js beside the bundled chunks (scripts/build.mjs), or,
 * when this module runs from the TypeScript sources (vitest, a stale dist/), the source through
 * tsx (db/pglite-worker-tsx.mjs).
 */
function workerScript(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './pglite-worker-tsx.mjs' : './pglite-worker.js', here);
}

export class PgliteWorkerClient {
  private readonly pending = new Map<number, (reply: WorkerReply) => void>();
  private nextId = 1;
  /** Set once the worker is gone: every call fails with it. */
  private gone: { detail: string } | undefined;
  private closing: Promise<void> | undefined;
  private exited = false;
  /** Requests waiting for this turn's `flush`. */
  private outbox: WorkerRequest[] = [];

  private constructor(private readonly worker: Worker) {
    worker.on('message', (replies: WorkerReply[]) => {
      for (const reply of replies) {
        const settle = this.pending.get(reply.id);
        if (!settle) continue;
        this.pending.delete(reply.id);
        settle(reply);
      }
      if (this.pending.size === 0) worker.unref();
    });
    // A thread's own failure (a query's is answered, masked, by the worker): no value in it.
    worker.on('error', (e) => this.lost(`its thread failed: ${e.message}`));
    worker.on('exit', (code) => {
      this.exited = true;
      this.lost(`its thread exited (code ${code})`);
    });
  }

  /**
   * Starts the worker on `path` (DATA/db, under the caller's data-dir lock) and resolves once
   * PGlite is open there. Rejects with the worker's error (masked) when it could not open.
   */
  static async open(options: WorkerOpen): Promise<PgliteWorkerClient> {
    const worker = new Worker(workerScript(), { workerData: options });
    const client = new PgliteWorkerClient(worker);
    // Referenced while a request waits (this one too), so a process awaiting an answer stays up.
    const opened = await client.await(0);
    if (!opened.ok) {
      await worker.terminate();
      throw decodeError(opened.error);
    }
    return client;
  }

  /** Whether the worker thread still runs (false once `close()` resolved). */
  get threadRunning(): boolean {
    return !this.exited;
  }

  /** True once `close()` was called or the worker is gone. */
  get closed(): boolean {
    return this.closing !== undefined || this.gone !== undefined;
  }

  async query<T>(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> {
    return this.queryIn<T>(0, sql, params, options);
  }

  async exec(sql: string, options?: QueryOptions): Promise<Results[]> {
    refuseFunctions(options, false);
    return (await this.call({ op: 'exec', tx: 0, sql })) as Results[];
  }

  /**
   * Runs `callback` in one transaction of the worker's PGlite: its statements go to that
   * transaction, which commits when the callback resolves and rolls back when it throws (the
   * callback's error is then what rejects). PGlite holds every other statement meanwhile.
   */
  async transaction<T>(callback: (tx: WorkerTransaction) => Promise<T>): Promise<T> {
    const id = (await this.call({ op: 'begin' })) as number;
    let ended = false;
    const tx: WorkerTransaction = {
      query: <R>(sql: string, params: unknown[] = [], options?: QueryOptions) =>
        ended
          ? Promise.reject(new Error('Transaction is closed'))
          : this.queryIn<R>(id, sql, params, options),
      exec: async (sql: string, options?: QueryOptions) => {
        if (ended) throw new Error('Transaction is closed');
        refuseFunctions(options, false);
        return (await this.call({ op: 'exec', tx: id, sql })) as Results[];
      },
      rollback: async () => {
        if (ended) throw new Error('Transaction is closed');
        await this.call({ op: 'rollback', tx: id });
        ended = true;
      },
      get closed() {
        return ended;
      },
    };
    let result: T;
    try {
      result = await callback(tx);
    } catch (e) {
      ended = true;
      // The callback's error is the one to see; a worker that is gone fails the next call.
      await this.call({ op: 'end', tx: id, commit: false }).catch(() => {});
      throw e;
    }
    ended = true;
    await this.call({ op: 'end', tx: id, commit: true });
    return result;
  }

  /** Closes PGlite (a clean shutdown of Postgres) and ends the thread. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.gone) {
        try {
          await this.call({ op: 'close' }, true);
        } finally {
          await this.worker.terminate();
        }
      }
    })();
    return this.closing;
  }

  /** Ends the thread at once, as a crash would (tests of what the agent then sees). */
  async kill(): Promise<void> {
    await this.worker.terminate();
  }

  private async queryIn<T>(tx: number, sql: string, params: unknown[], options?: QueryOptions) {
    const parsers = refuseFunctions(options, true);
    const rawTypes = parsers ? Object.keys(parsers).map(Number) : [];
    const result = (await this.call({
      op: 'query',
      tx,
      sql,
      params,
      rowMode: options?.rowMode,
      rawTypes,
      paramTypes: options?.paramTypes,
    })) as Results<T>;
    if (parsers) applyParsers(result, parsers);
    return result;
  }

  /** Sends one request and returns the worker's value; its error, rebuilt here, otherwise. */
  private async call(request: Request, whileClosing = false): Promise<unknown> {
    const reply = await this.send(request, whileClosing);
    if (reply.ok) return reply.value;
    // Made here, so its stack names the caller.
    if (reply.error.name === UNAVAILABLE) throw new KithError('DB_UNAVAILABLE', reply.error.message);
    throw decodeError(reply.error);
  }

  private send(request: Request, whileClosing: boolean): Promise<WorkerReply> {
    const id = this.nextId++;
    if (this.gone) return Promise.resolve(this.goneReply(id));
    if (this.closing && !whileClosing)
      return Promise.resolve({ id, ok: false, error: { name: UNAVAILABLE, message: CLOSED } });
    if (this.pending.size === 0) this.worker.ref();
    const answer = this.await(id);
    this.outbox.push({ ...request, id } as WorkerRequest);
    if (this.outbox.length === 1) setImmediate(this.flush);
    return answer;
  }

  /**
   * The requests of this turn of the event loop, sent as one message: each message wakes the
   * other thread, which on a busy VM cost more than the copying (a profile under bench/peers
   * put a tenth of the agent's thread in postMessage when each request went alone).
   */
  private readonly flush = () => {
    const batch = this.outbox;
    this.outbox = [];
    if (this.gone) {
      for (const r of batch) this.settle(this.goneReply(r.id));
      return;
    }
    try {
      this.worker.postMessage(batch);
    } catch {
      // A value structured clone cannot copy (a function, a class with private state) fails
      // its own request only; its text would be the value itself, so the error says what kind.
      for (const r of batch) {
        try {
          this.worker.postMessage([r]);
        } catch {
          this.settle({ id: r.id, ok: false, error: UNCLONEABLE });
        }
      }
    }
  };

  private settle(reply: WorkerReply): void {
    const settle = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    settle?.(reply);
  }

  private await(id: number): Promise<WorkerReply> {
    return new Promise((resolve) => this.pending.set(id, resolve));
  }

  private goneReply(id: number): WorkerReply {
    return { id, ok: false, error: { name: UNAVAILABLE, message: this.gone!.detail } };
  }

  private lost(why: string): void {
    if (this.gone) return;
    this.gone = {
      detail: this.closing
        ? CLOSED
        : `The embedded database stopped: ${why}. Restart Kith; its data stays in the data directory.`,
    };
    for (const [id, settle] of this.pending) settle(this.goneReply(id));
    this.pending.clear();
  }
}

/** The name a reply carries for "no database any more": the caller throws DB_UNAVAILABLE. */
const UNAVAILABLE = 'DB_UNAVAILABLE';
const CLOSED = 'The embedded database is closed.';
const UNCLONEABLE = {
  name: 'TypeError',
  message: 'A query parameter cannot be sent to the database thread.',
};

/**
 * The parsers of `options` (drizzle's: timestamps, dates and intervals kept as text), after
 * refusing what cannot cross to the worker. `parsers` only where a query takes them.
 */
function refuseFunctions(
  options: QueryOptions | undefined,
  parsersAllowed: boolean,
): ParserOptions | undefined {
  if (!options) return undefined;
  const refused = (['serializers', 'blob', 'onNotice'] as const).filter((k) => options[k] !== undefined);
  if (!parsersAllowed && options.parsers) refused.push('parsers' as never);
  if (refused.length > 0)
    throw new Error(
      `PGlite in a worker thread does not take ${refused.join(', ')} (db/pglite-worker-client.ts).`,
    );
  const parsers = options.parsers;
  return parsers && Object.keys(parsers).length > 0 ? parsers : undefined;
}

/** Runs the caller's parsers on the text the worker returned for their types. */
function applyParsers(result: Results<unknown>, parsers: ParserOptions): void {
  const columns: [number, (text: string, type: number) => unknown, number][] = [];
  result.fields.forEach((f, i) => {
    const parse = parsers[f.dataTypeID];
    if (parse) columns.push([i, parse, f.dataTypeID]);
  });
  if (columns.length === 0) return;
  const byName = !Array.isArray(result.rows[0]);
  for (const row of result.rows as Record<string | number, unknown>[]) {
    for (const [i, parse, type] of columns) {
      const key = byName ? result.fields[i]!.name : i;
      const text = row[key];
      if (text !== null && text !== undefined) row[key] = parse(text as string, type);
    }
  }
}
