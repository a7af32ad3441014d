import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe } from 'vitest';
import type { KithDatabase } from '@kith/db/database';
import {
  createTestDatabase,
  type TestDatabaseTarget,
  testDatabaseKinds,
} from '../../../test/helpers/database.ts';
import type { Clock, KithDb } from '../src/database.ts';

/** A fresh, migrated database of one kind, shared by the tests of one describe block. */
export interface ArchiveTestContext {
  readonly kind: string;
  readonly db: KithDb;
  readonly database: KithDatabase;
  /** A controllable clock: `clock()` reads, `advance(ms)` moves it. */
  readonly clock: Clock;
  advance(ms: number): void;
}

/**
 * Runs `body` once per database this run covers (PGlite always, Postgres when DATABASE_URL is
 * set; the helper prints which), each on its own fresh database.
 */
export function forEachDatabase(name: string, body: (context: () => ArchiveTestContext) => void): void {
  for (const kind of testDatabaseKinds()) {
    describe(`${name} on ${kind}`, () => {
      let target: TestDatabaseTarget | undefined;
      let database: KithDatabase | undefined;
      let now = Date.UTC(2030, 0, 1);
      let context: ArchiveTestContext | undefined;
      beforeAll(async () => {
        target = await createTestDatabase(kind);
        database = await target.open();
        await database.migrate();
        const open = database;
        context = {
          kind,
          db: open.db,
          database: open,
          clock: () => now,
          advance: (ms) => {
            now += ms;
          },
        };
      });
      afterAll(async () => {
        await database?.close();
        await target?.dispose();
      });
      body(() => {
        if (!context) throw new Error('the test database is not open yet');
        return context;
      });
    });
  }
}

/** An owner id no other test uses, so tests sharing a database do not see each other's rows. */
export function freshOwner(): string {
  return `owner-${randomBytes(6).toString('hex')}`;
}

/** Random bytes standing in for ciphertext (the store never looks inside). */
export function ciphertext(size: number): Uint8Array {
  return new Uint8Array(randomBytes(size));
}

/** Distinct transactions that inserted an owner's blob rows: rows of one transaction share xmin. */
export async function transactionsThatWrote(db: KithDb, ownerId: string): Promise<number> {
  const result = await db.execute(
    sql`select count(distinct xmin::text)::int as n from archive_blobs where owner_id = ${ownerId}`,
  );
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { n: number }[];
  return Number(rows[0]?.n);
}
