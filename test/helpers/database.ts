import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { describeUrl, type KithDatabase, openDatabase, type PgliteThread } from '@kith/db/database';

/**
 * Database selection for the medium tier (docs/DESIGN.md §11): PGlite always, and real Postgres too
 * when DATABASE_URL is set (here: postgres://postgres@127.0.0.1:5432/test, trust auth); only
 * Postgres when KITH_TEST_DATABASES=postgres as well (test/appliance/medium-postgres.test.ts).
 * Each target gets its own database (Postgres: a fresh uniquely named database, dropped
 * after; PGlite: a fresh data dir) so test files running in parallel never collide.
 */
export type TestDatabaseKind = 'pglite' | 'postgres';

let announced = false;

/** The kinds this run covers; says once per test file which were used. */
export function testDatabaseKinds(): TestDatabaseKind[] {
  const url = process.env.DATABASE_URL;
  // KITH_TEST_DATABASES=postgres: Postgres only (the appliance tier's run against a container).
  const only = process.env.KITH_TEST_DATABASES;
  const kinds: TestDatabaseKind[] =
    only === 'postgres' && url ? ['postgres'] : url ? ['pglite', 'postgres'] : ['pglite'];
  if (!announced) {
    announced = true;
    console.info(
      `[medium tier] databases: ${kinds.map((k) => (k === 'postgres' ? `postgres (${describeUrl(url!)})` : k)).join(', ')}` +
        (url ? '' : ' — set DATABASE_URL to run against Postgres as well'),
    );
  }
  return kinds;
}

/**
 * Where PGlite runs in tests that run nodes in this process: on this thread (the default), or in
 * a worker with KITH_TEST_PGLITE_WORKER=on (docs/ARCHITECTURE.md "PGlite in a worker thread": a
 * worker per node costs about 90 MiB more here, and a test process runs up to five nodes).
 * `kith up` processes follow KITH_PGLITE_WORKER; the compliance test
 * (services/agent/test/db/client-compliance.test.ts) runs both clients.
 */
export function testPgliteThread(): PgliteThread {
  return process.env.KITH_TEST_PGLITE_WORKER === 'on' ? 'worker' : 'main';
}

export interface TestDatabaseTarget {
  readonly kind: TestDatabaseKind;
  /** A fresh data directory (PGlite lives in `dataDir/db`). */
  readonly dataDir: string;
  /** The fresh database's URL (postgres only). */
  readonly databaseUrl: string | undefined;
  /** Opens a new handle on this target (call twice for two connections/pools). */
  open(): Promise<KithDatabase>;
  /** Drops the database (postgres) and removes the data directory. */
  dispose(): Promise<void>;
}

/**
 * `empty`: a PGlite directory initialised by initdb, with no migration applied, instead of the
 * build's migrated template that a new node starts from (db/pglite-template.ts); for the tests
 * of the migrations themselves. `pgliteThread`: where PGlite runs (default `testPgliteThread()`).
 */
export async function createTestDatabase(
  kind: TestDatabaseKind,
  options: { empty?: boolean; pgliteThread?: PgliteThread } = {},
): Promise<TestDatabaseTarget> {
  const dataDir = await makeTempDir(`kith-${kind}-`);
  if (kind === 'pglite') {
    const pgliteTemplate = options.empty ? false : undefined;
    return {
      kind,
      dataDir,
      databaseUrl: undefined,
      open: () =>
        openDatabase({ dataDir, pgliteTemplate, pgliteThread: options.pgliteThread ?? testPgliteThread() }),
      dispose: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('createTestDatabase("postgres") needs DATABASE_URL');
  const name = `kith_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    dataDir,
    databaseUrl: url.toString(),
    open: () => openDatabase({ databaseUrl: url.toString(), dataDir }),
    async dispose() {
      try {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await admin.end({ timeout: 5 });
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}

export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
