/**
 * The messages between the agent's thread and the PGlite worker thread (db/pglite-worker.ts,
 * db/pglite-worker-client.ts), and how an error crosses between them. Everything here passes
 * through `postMessage`'s structured clone: no functions, no class instances that must stay
 * what they are. An error crosses as its fields, its message already masked by the worker
 * (db/mask-values.ts), never with the query's parameters, its `detail` or its `where`.
 */
import { maskDriverMessage } from './mask-values.ts';

/** What the worker opens, given when it starts (`workerData`). */
export interface WorkerOpen {
  /** DATA/db. */
  path: string;
  /** The template a new directory starts from (db/pglite-template.ts), or false. */
  template: string | false;
}

/** `tx` 0: outside any transaction; else the id `begin` answered. */
export type WorkerRequest =
  | {
      op: 'query';
      id: number;
      tx: number;
      sql: string;
      params: unknown[];
      rowMode: 'array' | 'object' | undefined;
      /** Types whose text the worker returns unparsed: the caller's own parsers read it. */
      rawTypes: number[];
      paramTypes: number[] | undefined;
    }
  | { op: 'exec'; id: number; tx: number; sql: string }
  | { op: 'begin'; id: number }
  | { op: 'rollback'; id: number; tx: number }
  | { op: 'end'; id: number; tx: number; commit: boolean }
  | { op: 'close'; id: number };

/** Id 0 answers the open, sent once the database is open or could not be. */
export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError };

export interface WireError {
  name: string;
  message: string;
  /** SQLSTATE, or a system error's code (ENOSPC). */
  code?: string | undefined;
  severity?: string | undefined;
  constraint?: string | undefined;
  table?: string | undefined;
  column?: string | undefined;
  schema?: string | undefined;
  dataType?: string | undefined;
  routine?: string | undefined;
  /** The SQL text of the failed statement: placeholders, never values. */
  query?: string | undefined;
}

const FIELDS = [
  'code',
  'severity',
  'constraint',
  'table',
  'column',
  'schema',
  'dataType',
  'routine',
] as const;

/** The worker's side: `e` as fields, its message masked, no parameter, detail or where. */
export function encodeError(e: unknown, query: string | undefined): WireError {
  const b = (e && typeof e === 'object' ? e : {}) as Record<string, unknown>;
  const wire: WireError = {
    name: typeof b.name === 'string' ? b.name : 'Error',
    message: '',
    query,
  };
  for (const f of FIELDS) if (typeof b[f] === 'string' && b[f] !== '') wire[f] = b[f] as string;
  const raw = e instanceof Error ? e.message : String(e);
  wire.message = maskDriverMessage(raw, wire, query);
  return wire;
}

/**
 * The agent's side: an Error carrying the same fields. A database error keeps its SQLSTATE and
 * severity, which is how db/query-error.ts recognises a driver's error. Made where the caller
 * awaited the answer, so its stack names the caller's frames.
 */
export function decodeError(wire: WireError): Error {
  const e = new Error(wire.message) as Error & Record<string, unknown>;
  e.name = wire.name;
  for (const f of FIELDS) if (wire[f] !== undefined) e[f] = wire[f];
  if (wire.query !== undefined) e.query = wire.query;
  return e;
}
