/**
 * The PGlite worker thread (docs/ARCHITECTURE.md "PGlite in a worker thread"): owns the PGlite
 * instance of DATA/db, so Postgres starting and every statement run on a thread of their own,
 * beside the agent's API, links and crypto. It opens the directory as soon as it starts (from
 * the template when new: the unpack's steps then wait for this thread's event loop, not for the
 * busy main thread's), then answers db/pglite-worker-client.ts's requests in the order they
 * come. PGlite itself runs one statement at a time and holds the others while a transaction
 * is open, exactly as it does on the agent's thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type ParserOptions, type Transaction } from '@electric-sql/pglite';
import { createFromPgliteTemplate, isNewPgliteDir } from './pglite-template.ts';
import { encodeError, type WorkerOpen, type WorkerReply, type WorkerRequest } from './pglite-wire.ts';

const port = parentPort!;
const { path, template } = workerData as WorkerOpen;

/** Replies of this turn of the event loop, sent as one message (as the requests come). */
let replies: WorkerReply[] = [];
const flush = () => {
  const batch = replies;
  replies = [];
  port.postMessage(batch);
};
const send = (reply: WorkerReply) => {
  replies.push(reply);
  if (replies.length === 1) setImmediate(flush);
};
const fail = (id: number, e: unknown, sql?: string) => send({ id, ok: false, error: encodeError(e, sql) });

/** Open transactions by id, and how to end each (true: commit). */
const transactions = new Map<number, Transaction>();
const enders = new Map<number, (commit: boolean) => void>();
/** The `end` request each transaction answers once PGlite committed or rolled it back. */
const endRequests = new Map<number, number>();
let nextTx = 1;
/** Thrown out of PGlite's transaction callback to roll it back. */
const ROLLBACK = Symbol('rollback');

/** Parsers that return the text of these types as it came: the caller's parsers read it. */
const rawParsers = new Map<string, ParserOptions>();
function rawParsersFor(types: number[]): ParserOptions | undefined {
  if (types.length === 0) return undefined;
  const key = types.join(',');
  let parsers = rawParsers.get(key);
  if (!parsers) {
    parsers = Object.fromEntries(types.map((t) => [t, (text: string) => text]));
    rawParsers.set(key, parsers);
  }
  return parsers;
}

async function open(): Promise<PGlite> {
  const fromTemplate =
    template !== false && isNewPgliteDir(path) ? await createFromPgliteTemplate(path, template) : undefined;
  return fromTemplate ?? (await PGlite.create(path));
}

let pg: PGlite;
try {
  pg = await open();
  send({ id: 0, ok: true, value: null });
} catch (e) {
  // Posted at once: the thread ends here.
  port.postMessage([{ id: 0, ok: false, error: encodeError(e, undefined) }]);
  process.exit(1);
}

/** The transaction `tx` names, or the database itself for 0. */
function target(tx: number): PGlite | Transaction {
  if (tx === 0) return pg;
  const t = transactions.get(tx);
  if (!t) throw new Error('The transaction has already ended.');
  return t;
}

function begin(id: number): void {
  const tx = nextTx++;
  let begun = false;
  pg.transaction(async (t) => {
    begun = true;
    transactions.set(tx, t);
    send({ id, ok: true, value: tx });
    const commit = await new Promise<boolean>((resolve) => enders.set(tx, resolve));
    if (!commit) throw ROLLBACK;
  }).then(
    () => settle(tx, undefined),
    (e: unknown) => {
      if (!begun) fail(id, e, 'BEGIN');
      else settle(tx, e === ROLLBACK ? undefined : e);
    },
  );
}

function settle(tx: number, error: unknown): void {
  transactions.delete(tx);
  enders.delete(tx);
  const id = endRequests.get(tx);
  endRequests.delete(tx);
  if (id === undefined) return;
  if (error === undefined) send({ id, ok: true, value: null });
  else fail(id, error, 'COMMIT');
}

async function handle(r: WorkerRequest): Promise<void> {
  switch (r.op) {
    case 'query': {
      const result = await target(r.tx).query(r.sql, r.params, {
        rowMode: r.rowMode,
        parsers: rawParsersFor(r.rawTypes),
        paramTypes: r.paramTypes,
      });
      return send({ id: r.id, ok: true, value: result });
    }
    case 'exec':
      return send({ id: r.id, ok: true, value: await target(r.tx).exec(r.sql) });
    case 'begin':
      return begin(r.id);
    case 'rollback': {
      const t = target(r.tx) as Transaction;
      await t.rollback();
      return send({ id: r.id, ok: true, value: null });
    }
    case 'end': {
      const end = enders.get(r.tx);
      if (!end) throw new Error('The transaction has already ended.');
      endRequests.set(r.tx, r.id);
      return end(r.commit);
    }
    case 'close':
      await pg.close();
      return send({ id: r.id, ok: true, value: null });
  }
}

port.on('message', (batch: WorkerRequest[]) => {
  for (const r of batch)
    handle(r).catch((e: unknown) => fail(r.id, e, r.op === 'query' || r.op === 'exec' ? r.sql : undefined));
});
