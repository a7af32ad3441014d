import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { KithError } from '@kith/core/errors';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { type MigrationLogger, type MigrationReport, migrateDatabase } from './migrate.ts';
import * as schema from './schema.ts';
import { acquireDataDirLock } from './data-dir-lock.ts';
import { PGLITE_TEMPLATE_FILE, createFromPgliteTemplate, isNewPgliteDir } from './pglite-template.ts';
import { PgliteWorkerClient } from './pglite-worker-client.ts';
import { guardQueryErrors, queryErrorReason } from './query-error.ts';

export type KithSchema = typeof schema;
/** The drizzle handle; the same type whichever driver is underneath. */
export type KithDb = PgDatabase<PgQueryResultHKT, KithSchema>;
export type DatabaseKind = 'postgres' | 'pglite';
/** A drizzle transaction on the Kith schema. */
export type KithTx = Parameters<Parameters<KithDb['transaction']>[0]>[0];
/** Either the database or a transaction: repositories run their statements on whichever they get. */
export type Executor = KithDb | KithTx;

export interface KithDatabase {
  readonly db: KithDb;
  readonly kind: DatabaseKind;
  /** PGlite only: the thread it runs on (`pgliteThread`). */
  readonly thread?: PgliteThread;
  /** Applies the committed migrations under the advisory lock (docs/DESIGN.md §9). */
  migrate(options?: { logger?: MigrationLogger }): Promise<MigrationReport>;
  /** Closes the connections and, for PGlite, releases the data-dir lock. Idempotent. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Postgres when set (DATABASE_URL), else PGlite in `dataDir/db`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Postgres pool size (default 10). */
  maxConnections?: number;
  /**
   * The initialised PGlite data directory a new DATA/db starts from (db/pglite-template.ts);
   * default the one `npm run build` writes into dist/, `false` for a plain initdb.
   */
  pgliteTemplate?: string | false;
  /**
   * Where PGlite runs: 'main' (default), this thread; 'worker', a worker thread of its own
   * (db/pglite-worker.ts), so Postgres and every statement leave the thread of the API, the
   * links and the crypto. Ignored on Postgres. docs/ARCHITECTURE.md "PGlite in a worker thread".
   */
  pgliteThread?: PgliteThread;
}

export type PgliteThread = 'worker' | 'main';

/**
 * Opens the agent's database: Postgres through postgres.js when a URL is given, otherwise
 * PGlite in DATA/db, owned by this process through DATA/db.lock (DATA_DIR_LOCKED if another
 * live process has it). Does not migrate; call `migrate()` next.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<KithDatabase> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.maxConnections ?? 10)
    : openPglite(
        options.dataDir,
        options.pgliteTemplate ?? PGLITE_TEMPLATE_FILE,
        options.pgliteThread ?? 'main',
      );
}

async function openPostgres(url: string, max: number): Promise<KithDatabase> {
  // Loaded only here: a node on the embedded database never needs the Postgres driver.
  const [{ default: postgres }, { drizzle: drizzlePostgres }] = await Promise.all([
    import('postgres'),
    import('drizzle-orm/postgres-js'),
  ]);
  const client = postgres(url, {
    max,
    onnotice: () => {}, // "already exists, skipping" notices from migrations are not news
    connect_timeout: 10,
  });
  // A failed query never carries its values out (db/query-error.ts).
  const db = guardQueryErrors(drizzlePostgres({ client, schema }) as unknown as KithDb);
  try {
    await db.execute(sql`select 1`);
  } catch (cause) {
    await client.end({ timeout: 1 }).catch(() => {});
    throw new KithError('DB_UNAVAILABLE', `Could not connect to ${describeUrl(url)}: ${reasonOf(cause)}.`, {
      cause,
    });
  }
  let closed = false;
  return {
    db,
    kind: 'postgres',
    migrate: (o) => migrateDatabase(db, o),
    async close() {
      if (closed) return;
      closed = true;
      await client.end({ timeout: 5 });
    },
  };
}

async function openPglite(
  dataDir: string,
  template: string | false,
  thread: PgliteThread,
): Promise<KithDatabase> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lock = acquireDataDirLock(join(dataDir, 'db.lock'));
  const path = join(dataDir, 'db');
  let client: PGlite | PgliteWorkerClient;
  try {
    client =
      thread === 'worker'
        ? await PgliteWorkerClient.open({ path, template })
        : await openInThread(path, template);
  } catch (cause) {
    lock.release();
    throw new KithError('DB_UNAVAILABLE', `The embedded database in ${path} did not open.`, { cause });
  }
  // drizzle calls only query and transaction (and their transaction's query), which the
  // worker's proxy has with the same signatures.
  const db = guardQueryErrors(drizzlePglite({ client: client as PGlite, schema }) as unknown as KithDb);
  let closed = false;
  return {
    db,
    kind: 'pglite',
    thread,
    migrate: (o) => migrateDatabase(db, o),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await client.close();
      } finally {
        lock.release();
      }
    },
  };
}

async function openInThread(path: string, template: string | false): Promise<PGlite> {
  const fromTemplate =
    template !== false && isNewPgliteDir(path) ? await createFromPgliteTemplate(path, template) : undefined;
  return fromTemplate ?? (await PGlite.create(path));
}

/** host:port/database, never the user or password. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'the DATABASE_URL given';
  }
}

function reasonOf(e: unknown): string {
  const inner = (e as { cause?: unknown })?.cause ?? e;
  const code = (inner as { code?: unknown })?.code ?? (e as { code?: unknown })?.code;
  const message = queryErrorReason(e);
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}
