import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATION_LOCK_NAME, readMigrations, rowsOf } from '@kith/db/migrate';
import {
  createTestDatabase,
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
      target = await createTestDatabase(kind);
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

describe('concurrent migrations', () => {
  for (const kind of testDatabaseKinds()) {
    it(`two concurrent migrate calls on ${kind} apply each migration exactly once`, async () => {
      const target = await createTestDatabase(kind);
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
