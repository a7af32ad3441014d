/**
 * What of a failed query may be shown (docs/SECURITY.md "Logs and errors"). A database error
 * carries the values of its query: drizzle's message lists every parameter ("params: ..."), the
 * driver's error keeps them (`params`, `parameters`, `args`), its `detail` and `where` quote row
 * values ("Key (id)=(...) already exists", "Failing row contains (...)", "portal parameter
 * $1 = '...'"), and its message quotes a value it could not read ('invalid input syntax for type
 * integer: "..."'). A sealed invite secret, a message, a name: none of it may reach a log line,
 * an API answer or an error message. `QueryError` keeps what a person needs to debug: the SQL
 * text (placeholders, never values), the SQLSTATE, the constraint, table and column, and the
 * driver's sentence with every quoted value replaced by "…".
 *
 * Every query a `KithDb` runs goes through drizzle's `PgPreparedQuery.queryWithCache`, which
 * wraps a driver error in `DrizzleQueryError`; `guardQueryErrors` wraps that method once so the
 * error that leaves it is a `QueryError`, and wraps the handle's `transaction` for the errors
 * BEGIN and COMMIT raise outside it. The log sanitizer (the agent's logger.ts) also turns any
 * database error it meets into this form, should one arrive by another path.
 */
import { KithError } from '@kith/core/errors';
import { PgPreparedQuery } from 'drizzle-orm/pg-core/session';
import { maskDriverMessage } from './mask-values.ts';

export { maskValues } from './mask-values.ts';

/** The longest SQL text a message quotes (the `query` field keeps all of it). */
const MAX_SQL_IN_MESSAGE = 600;

export class QueryError extends Error {
  /** The SQLSTATE (e.g. 23505), or the driver's own code (ECONNREFUSED, ENOSPC, ...). */
  readonly code: string | undefined;
  /** The SQL text with its $n placeholders: never a value. */
  readonly query: string | undefined;
  /** The driver's sentence, values masked. */
  readonly reason: string;
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
  readonly routine: string | undefined;

  constructor(fields: {
    code?: string | undefined;
    query?: string | undefined;
    reason: string;
    constraint?: string | undefined;
    table?: string | undefined;
    column?: string | undefined;
    routine?: string | undefined;
    frames?: string | undefined;
  }) {
    const where = fields.query
      ? ` in query: ${fields.query.length > MAX_SQL_IN_MESSAGE ? `${fields.query.slice(0, MAX_SQL_IN_MESSAGE)}…` : fields.query}`
      : '';
    super(`${fields.reason}${fields.code ? ` (${fields.code})` : ''}${where}`);
    this.name = 'QueryError';
    this.code = fields.code;
    this.query = fields.query;
    this.reason = fields.reason;
    this.constraint = fields.constraint;
    this.table = fields.table;
    this.column = fields.column;
    this.routine = fields.routine;
    // The frames of the failed call (where the query was made), under this error's own message.
    if (fields.frames) this.stack = `${this.name}: ${this.message}\n${fields.frames}`;
  }
}

type Bag = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** drizzle's wrapper of a failed query: `query`, `params`, the driver's error as `cause`. */
function isDrizzleQueryError(e: unknown): e is Error & { query: string; params: unknown[]; cause?: unknown } {
  return (
    e instanceof Error &&
    typeof (e as unknown as Bag).query === 'string' &&
    Array.isArray((e as unknown as Bag).params)
  );
}

/** A driver's error about a query: a SQLSTATE with a severity (both drivers), or bound values kept. */
function isDriverError(e: unknown): e is Error {
  if (!(e instanceof Error) || e instanceof QueryError) return false;
  const b = e as unknown as Bag;
  const sqlState = typeof b.code === 'string' && /^[0-9A-Z]{5}$/.test(b.code);
  return (sqlState && typeof b.severity === 'string') || 'parameters' in b || Array.isArray(b.params);
}

/** True for an error that may hold a query's values: drizzle's wrapper or a driver's error. */
export function isDatabaseError(e: unknown): boolean {
  return isDrizzleQueryError(e) || isDriverError(e);
}

/**
 * The error to throw or show instead of `e`: a `QueryError` for a database error (drizzle's or
 * a driver's), `e` itself for anything else.
 */
export function toQueryError(e: unknown): unknown {
  if (e instanceof QueryError) return e;
  // The worker thread's DB_UNAVAILABLE (db/pglite-worker-client.ts) under drizzle's wrapper: ours,
  // no value in it, and its code is what the API answers (503).
  if (isDrizzleQueryError(e) && e.cause instanceof KithError) return e.cause;
  // Never drizzle's own message: it lists the values. Without a cause, no sentence to show.
  if (isDrizzleQueryError(e)) return fromParts(e.query, e.cause, framesOf(e));
  if (isDriverError(e)) {
    const b = e as unknown as Bag;
    return fromParts(str(b.query), e, framesOf(e));
  }
  return e;
}

/** The driver's sentence of a database error, values masked (for a KithError's detail). */
export function queryErrorReason(e: unknown): string {
  const q = toQueryError(e);
  if (q instanceof QueryError) return q.reason;
  const inner = (e as { cause?: unknown })?.cause ?? e;
  return inner instanceof Error ? inner.message : String(inner);
}

function fromParts(sqlText: string | undefined, driver: unknown, frames: string | undefined): QueryError {
  const b = (driver && typeof driver === 'object' ? driver : {}) as Bag;
  // postgres.js names the fields table_name, ...; PGlite table, ...
  const names = {
    constraint: str(b.constraint) ?? str(b.constraint_name),
    table: str(b.table) ?? str(b.table_name),
    column: str(b.column) ?? str(b.column_name),
    schema: str(b.schema) ?? str(b.schema_name),
    dataType: str(b.dataType) ?? str(b.data_type_name),
  };
  const query = sqlText ?? str(b.query);
  const raw =
    driver instanceof Error ? driver.message : typeof driver === 'string' ? driver : 'the query failed';
  return new QueryError({
    code: str(b.code),
    query,
    reason: maskDriverMessage(raw, names, query),
    constraint: names.constraint,
    table: names.table,
    column: names.column,
    routine: str(b.routine),
    frames,
  });
}

/** The "    at ..." lines of a stack, without its first line(s), which repeat the message. */
function framesOf(e: Error): string | undefined {
  const lines = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
  return lines.length ? lines.join('\n') : undefined;
}

let installed = false;

/**
 * Makes every query error of drizzle's Postgres sessions (PGlite and postgres.js share them) a
 * `QueryError`. Throws when drizzle no longer has the method: a newer drizzle must be looked at
 * again rather than let values through.
 */
export function installQueryErrorGuard(): void {
  if (installed) return;
  const proto = PgPreparedQuery.prototype as unknown as Bag;
  const original = proto.queryWithCache;
  if (typeof original !== 'function')
    throw new Error('drizzle-orm changed: PgPreparedQuery.queryWithCache is gone (db/query-error.ts)');
  proto.queryWithCache = async function guardedQueryWithCache(this: unknown, ...args: unknown[]) {
    try {
      return await (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    } catch (e) {
      throw toQueryError(e);
    }
  };
  installed = true;
}

/** `db` with query errors and its transactions' BEGIN/COMMIT errors as `QueryError`s. */
export function guardQueryErrors<T extends { transaction: (...a: never[]) => Promise<unknown> }>(db: T): T {
  installQueryErrorGuard();
  const transaction = db.transaction.bind(db) as (...a: unknown[]) => Promise<unknown>;
  (db as { transaction: unknown }).transaction = (...args: unknown[]) =>
    transaction(...args).catch((e: unknown) => {
      throw toQueryError(e);
    });
  return db;
}
