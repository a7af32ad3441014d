import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MIGRATION_LOCK_NAME,
  MIGRATIONS_FOLDER,
  migrateDatabase,
  readMigrations,
  rowsOf,
} from '@kith/db/migrate';
import {
  createTestDatabase,
  makeTempDir,
  type TestDatabaseTarget,
  testDatabaseKinds,
} from '../../../../test/helpers/database.ts';
import type { KithDatabase } from '@kith/db/database';

const EXPECTED_TABLES = [
  'address_records',
  'devices',
  'friends',
  'identity_log_entries',
  'invites',
  'kv',
  'peers',
  'secrets',
];
const committed = readMigrations();

async function tablesOf(database: KithDatabase): Promise<string[]> {
  const rows = rowsOf<{ table_name: string }>(
    await database.db.execute(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    ),
  );
  return rows.map((r) => r.table_name);
}

async function bookkeepingRows(database: KithDatabase): Promise<number> {
  const rows = rowsOf<{ n: string | number }>(
    await database.db.execute(sql`select count(*) as n from drizzle.__drizzle_migrations`),
  );
  return Number(rows[0]!.n);
}

for (const kind of testDatabaseKinds()) {
  describe(`migrations on ${kind}`, () => {
    let target: TestDatabaseTarget;
    beforeAll(async () => {
      target = await createTestDatabase(kind, { empty: true });
    });
    afterAll(async () => {
      await target.dispose();
    });

    it('apply once, then a second run applies nothing (idempotent)', async () => {
      const database = await target.open();
      try {
        const first = await database.migrate();
        expect(first.applied).toEqual(committed.map((m) => m.tag));
        expect(await tablesOf(database)).toEqual(expect.arrayContaining(EXPECTED_TABLES));
        const second = await database.migrate();
        expect(second.applied).toEqual([]);
        expect(second.total).toBe(committed.length);
        expect(await bookkeepingRows(database)).toBe(committed.length);
      } finally {
        await database.close();
      }
    });

    it('a reopened database is already up to date', async () => {
      const database = await target.open();
      try {
        expect((await database.migrate()).applied).toEqual([]);
      } finally {
        await database.close();
      }
    });
  });
}

/** A copy of the committed migrations as the previous release shipped them: all but the newest. */
async function previousRelease(): Promise<{ folder: string; dispose(): Promise<void> }> {
  const folder = await makeTempDir('kith-migrations-previous-');
  await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: unknown[] };
  journal.entries = journal.entries.slice(0, -1);
  await writeFile(journalPath, JSON.stringify(journal));
  return { folder, dispose: () => rm(folder, { recursive: true, force: true }) };
}

// The appliance's upgrade (deploy/README.md "Upgrade"): the new image starts on the previous
// image's database and migrates it at start, with no manual step and nothing lost.
for (const kind of testDatabaseKinds()) {
  describe(`upgrade from the previous release's database on ${kind}`, () => {
    it('applies only the newer migrations and keeps the rows', { timeout: 120_000 }, async () => {
      const previous = await previousRelease();
      const target = await createTestDatabase(kind, { empty: true });
      try {
        const old = await target.open();
        try {
          const first = await migrateDatabase(old.db, { folder: previous.folder });
          expect(first.applied).toEqual(committed.slice(0, -1).map((m) => m.tag));
          await old.db.execute(
            sql`insert into kv (key, value, updated_at) values ('kept', '{"n": 1}'::jsonb, now())`,
          );
        } finally {
          await old.close();
        }
        const upgraded = await target.open();
        try {
          expect((await upgraded.migrate()).applied).toEqual([committed.at(-1)!.tag]);
          const rows = rowsOf<{ value: { n: number } }>(
            await upgraded.db.execute(sql`select value from kv where key = 'kept'`),
          );
          expect(rows.map((r) => r.value)).toEqual([{ n: 1 }]);
          expect(await bookkeepingRows(upgraded)).toBe(committed.length);
        } finally {
          await upgraded.close();
        }
      } finally {
        await target.dispose();
        await previous.dispose();
      }
    });
  });
}

describe('concurrent migrations', () => {
  for (const kind of testDatabaseKinds()) {
    it(`two concurrent migrate calls on ${kind} apply each migration exactly once`, async () => {
      const target = await createTestDatabase(kind, { empty: true });
      // Postgres: two separate pools, as two processes would have. PGlite: one process only.
      const a = await target.open();
      const b = kind === 'postgres' ? await target.open() : a;
      try {
        const [ra, rb] = await Promise.all([a.migrate(), b.migrate()]);
        expect([...ra.applied, ...rb.applied].sort()).toEqual(committed.map((m) => m.tag).sort());
        expect(await bookkeepingRows(a)).toBe(committed.length);
        expect(await tablesOf(b)).toEqual(expect.arrayContaining(EXPECTED_TABLES));
      } finally {
        if (b !== a) await b.close();
        await a.close();
        await target.dispose();
      }
    });

    if (kind === 'postgres') {
      it('on postgres, migrate waits while another session holds the advisory lock', async () => {
        const target = await createTestDatabase('postgres');
        const holder = await target.open();
        const migrator = await target.open();
        try {
          let releaseLock: () => void = () => {};
          const released = new Promise<void>((r) => {
            releaseLock = r;
          });
          let locked: () => void = () => {};
          const lockTaken = new Promise<void>((r) => {
            locked = r;
          });
          const holding = holder.db.transaction(async (tx) => {
            await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${MIGRATION_LOCK_NAME}, 0))`);
            locked();
            await released;
          });
          await lockTaken;
          const migrating = migrator.migrate();
          // Wait until the migrator is really queued on the lock (an ungranted advisory lock).
          for (;;) {
            const rows = rowsOf<{ n: string | number }>(
              await holder.db.execute(
                sql`select count(*) as n from pg_locks where locktype = 'advisory' and not granted`,
              ),
            );
            if (Number(rows[0]!.n) > 0) break;
            await new Promise((r) => setTimeout(r, 20));
          }
          // Blocked: nothing was created yet.
          expect(await tablesOf(holder)).not.toContain('devices');
          releaseLock();
          await holding;
          expect((await migrating).applied).toEqual(committed.map((m) => m.tag));
          expect(await tablesOf(holder)).toEqual(expect.arrayContaining(EXPECTED_TABLES));
        } finally {
          await migrator.close();
          await holder.close();
          await target.dispose();
        }
      });
    }
  }
});
