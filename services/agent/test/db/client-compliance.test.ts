/**
 * The same database behaviour from every client the agent can run on (docs/ARCHITECTURE.md
 * "PGlite in a worker thread"): PGlite in this thread, PGlite in a worker thread
 * (db/pglite-worker-client.ts: every statement a message to the thread that owns PGlite), and
 * Postgres when DATABASE_URL is set. Values round-trip with their types, transactions commit or
 * roll back whole, statements and transactions issued at once all complete, a failed query
 * carries its SQLSTATE, constraint, table and column but never a value, and close releases the
 * data-dir lock. For the worker: a thread that dies fails the statement in flight and every
 * later one with DB_UNAVAILABLE instead of hanging.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { isKithError } from '@kith/core/errors';
import { type KithDatabase, openDatabase, type PgliteThread } from '@kith/db/database';
import type { PgliteWorkerClient } from '@kith/db/pglite-worker-client';
import { QueryError } from '@kith/db/query-error';
import { invites, kv, secrets } from '@kith/db/schema';
import { eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  type TestDatabaseKind,
  type TestDatabaseTarget,
  testDatabaseKinds,
} from '../../../../test/helpers/database.ts';
import { findSecret } from '../../../../test/helpers/log-capture.ts';

const tag = randomBytes(6).toString('hex');
const SECRETS = {
  id: `SECRET-ID-${tag}`,
  text: `SECRET-TEXT-${tag}`,
  bytes: new TextEncoder().encode(`SECRET-BYTES-${tag}`),
};

interface Client {
  name: string;
  kind: TestDatabaseKind;
  thread?: PgliteThread;
}

const CLIENTS: Client[] = testDatabaseKinds().flatMap((kind): Client[] =>
  kind === 'pglite'
    ? [
        { name: 'PGlite in this thread', kind, thread: 'main' },
        { name: 'PGlite in a worker thread', kind, thread: 'worker' },
      ]
    : [{ name: 'Postgres', kind }],
);

/** Every way an error becomes text on its way to a person or a log. */
function shownForms(err: unknown): string {
  const e = err as Error;
  return [e.message, e.stack, String(e), inspect(e, { depth: 6 }), JSON.stringify(e)].join('\n');
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

const invite = (id: string) => ({
  id,
  role: 'friend' as const,
  secretSealed: SECRETS.bytes,
  createdAt: new Date(1_700_000_000_000),
  expiresAt: new Date(1_700_000_600_000),
});

/** The worker proxy under a database opened on a worker thread. */
const workerOf = (database: KithDatabase) =>
  (database.db as unknown as { $client: PgliteWorkerClient }).$client;

for (const client of CLIENTS) {
  describe(`database client: ${client.name}`, () => {
    let target: TestDatabaseTarget;
    let database: KithDatabase;
    beforeAll(async () => {
      target = await createTestDatabase(client.kind, { pgliteThread: client.thread });
      database = await target.open();
      await database.migrate();
    });
    afterAll(async () => {
      await database?.close();
      await target?.dispose();
    });

    it('reads back what it wrote: bytes, instants, JSON, numbers, null', async () => {
      const at = new Date(1_700_000_123_456);
      const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
      await database.db.insert(secrets).values({ name: 'round-trip', ciphertext: bytes, updatedAt: at });
      const value = { n: 1.5, list: [1, 'two', null], nested: { yes: true } };
      await database.db.insert(kv).values({ key: 'round-trip', value, updatedAt: at });
      const [s] = await database.db.select().from(secrets).where(eq(secrets.name, 'round-trip'));
      expect(s!.ciphertext.constructor).toBe(Uint8Array);
      expect(Buffer.compare(s!.ciphertext, bytes)).toBe(0);
      expect(s!.updatedAt).toBeInstanceOf(Date);
      expect(s!.updatedAt.getTime()).toBe(at.getTime());
      const [k] = await database.db.select().from(kv).where(eq(kv.key, 'round-trip'));
      expect(k!.value).toEqual(value);
      const raw = await database.db.execute(
        sql`select ${41}::int + 1 as n, null::text as nothing, ${'x'}::text as x, 2::int8 as big`,
      );
      const row = (Array.isArray(raw) ? raw[0] : (raw as unknown as { rows: unknown[] }).rows[0]) as Record<
        string,
        unknown
      >;
      expect(row.n).toBe(42);
      expect(row.nothing).toBeNull();
      expect(row.x).toBe('x');
      expect(Number(row.big)).toBe(2);
    });

    it('a transaction commits every statement; one whose callback throws keeps none, and rejects with its error', async () => {
      await database.db.transaction(async (tx) => {
        await tx.insert(invites).values(invite('tx-commit-1'));
        await tx.insert(invites).values(invite('tx-commit-2'));
      });
      const boom = new Error('the callback failed');
      const err = await failure(
        database.db.transaction(async (tx) => {
          await tx.insert(invites).values(invite('tx-rollback-1'));
          await tx.insert(invites).values(invite('tx-rollback-2'));
          throw boom;
        }),
      );
      expect(err).toBe(boom);
      const ids = (await database.db.select({ id: invites.id }).from(invites).where(like(invites.id, 'tx-%')))
        .map((r) => r.id)
        .sort();
      expect(ids).toEqual(['tx-commit-1', 'tx-commit-2']);
    });

    it("drizzle's tx.rollback() keeps nothing; a nested transaction that fails rolls back to its savepoint only", async () => {
      await failure(
        database.db.transaction(async (tx) => {
          await tx.insert(invites).values(invite('rb-explicit'));
          tx.rollback();
        }),
      );
      await database.db.transaction(async (tx) => {
        await tx.insert(invites).values(invite('rb-outer'));
        await failure(
          tx.transaction(async (inner) => {
            await inner.insert(invites).values(invite('rb-inner'));
            throw new Error('inner fails');
          }),
        );
      });
      const ids = (await database.db.select({ id: invites.id }).from(invites).where(like(invites.id, 'rb-%')))
        .map((r) => r.id)
        .sort();
      expect(ids).toEqual(['rb-outer']);
    });

    it('statements and transactions issued at once all complete, each with its own answer', async () => {
      const singles = Array.from({ length: 40 }, (_, i) =>
        database.db.insert(invites).values(invite(`many-${String(i).padStart(2, '0')}`)),
      );
      const txs = [0, 1].map((t) =>
        database.db.transaction(async (tx) => {
          for (let i = 0; i < 5; i++) await tx.insert(invites).values(invite(`many-tx${t}-${i}`));
          return t;
        }),
      );
      const reads = Array.from({ length: 10 }, (_, i) =>
        database.db.execute(sql`select ${i}::int as i`).then((r) => {
          const rows = Array.isArray(r) ? r : (r as unknown as { rows: { i: number }[] }).rows;
          return (rows[0] as { i: number }).i;
        }),
      );
      const [, txResults, readResults] = await Promise.all([
        Promise.all(singles),
        Promise.all(txs),
        Promise.all(reads),
      ]);
      expect(txResults).toEqual([0, 1]);
      expect(readResults).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const count = await database.db.$count(invites, like(invites.id, 'many-%'));
      expect(count).toBe(50);
    });

    it('a failed query: SQLSTATE, constraint, table and column kept, no value anywhere', async () => {
      await database.db.insert(invites).values(invite(SECRETS.id));
      const unique = await failure(database.db.insert(invites).values(invite(SECRETS.id)));
      expect(unique).toBeInstanceOf(QueryError);
      expect((unique as QueryError).code).toBe('23505');
      expect((unique as QueryError).constraint).toBe('invites_pkey');
      expect((unique as QueryError).table).toBe('invites');
      expect((unique as QueryError).query).toMatch(/^insert into "invites" \(/);
      // The stack names the caller (this file), not only the worker's message handler.
      expect((unique as Error).stack).toContain('client-compliance.test.ts');

      const notNull = await failure(
        database.db.execute(
          sql`insert into secrets (name, ciphertext, updated_at) values (${SECRETS.text}, null, now())`,
        ),
      );
      expect((notNull as QueryError).code).toBe('23502');
      expect((notNull as QueryError).table).toBe('secrets');
      expect((notNull as QueryError).column).toBe('ciphertext');

      const badType = await failure(database.db.execute(sql`select ${SECRETS.text}::int`));
      expect((badType as Error).message).toBe(
        'invalid input syntax for type integer: "…" (22P02) in query: select $1::int',
      );

      const inTx = await failure(
        database.db.transaction(async (tx) => {
          await tx.insert(invites).values(invite(`${SECRETS.id}-tx`));
          await tx.execute(sql`select ${SECRETS.text}::int`);
        }),
      );
      expect((inTx as QueryError).code).toBe('22P02');
      expect(await database.db.$count(invites, eq(invites.id, `${SECRETS.id}-tx`))).toBe(0);

      for (const err of [unique, notNull, badType, inTx])
        expect(findSecret(shownForms(err), SECRETS), shownForms(err)).toBeUndefined();
      // The database still answers after its errors.
      expect(await database.db.$count(invites, eq(invites.id, SECRETS.id))).toBe(1);
    });

    if (client.kind === 'pglite') {
      it('close releases the data-dir lock; the directory opens again with its data', async () => {
        const dataDir = join(target.dataDir, 'reopen');
        const first = await openDatabase({ dataDir, pgliteThread: client.thread });
        await first.db.execute(sql`create table close_probe (n int)`);
        await first.db.execute(sql`insert into close_probe values (7)`);
        expect(existsSync(join(dataDir, 'db.lock'))).toBe(true);
        await first.close();
        await first.close(); // idempotent
        expect(existsSync(join(dataDir, 'db.lock'))).toBe(false);
        if (client.thread === 'worker') expect(workerOf(first).threadRunning).toBe(false);
        const after = await failure(first.db.execute(sql`select 1`));
        expect(after).toBeInstanceOf(Error);
        const again = await openDatabase({ dataDir, pgliteThread: client.thread });
        try {
          const rows = (await again.db.execute(sql`select n from close_probe`)) as unknown as {
            rows: unknown[];
          };
          expect(rows.rows).toEqual([{ n: 7 }]);
        } finally {
          await again.close();
        }
      });
    }

    if (client.thread === 'worker') {
      it("the proxy itself: an error crosses the thread with its fields, masked, without the query's values", async () => {
        const err = (await failure(workerOf(database).query('select $1::int', [SECRETS.text]))) as Record<
          string,
          unknown
        >;
        expect(err).toBeInstanceOf(Error);
        expect(err.code).toBe('22P02');
        expect(err.severity).toBe('ERROR');
        expect(err.query).toBe('select $1::int');
        expect(err.message).toBe('invalid input syntax for type integer: "…"');
        expect('params' in err).toBe(false);
        expect(findSecret(shownForms(err), SECRETS), shownForms(err)).toBeUndefined();
      });

      it("the proxy itself: the caller's parsers run on this side, rowMode is kept, functions that cannot cross are refused", async () => {
        const raw = workerOf(database);
        const parsed = await raw.query<[string, number]>(
          "select '2024-01-02 03:04:05+00'::timestamptz as t, 5::int as n",
          [],
          { rowMode: 'array', parsers: { 1184: (text: string) => `parsed ${text}` } },
        );
        expect(parsed.rows).toEqual([['parsed 2024-01-02 03:04:05+00', 5]]);
        const err = await failure(raw.query('select 1', [], { serializers: { 25: String } }));
        expect((err as Error).message).toContain('does not take serializers');
        // A value that cannot cross fails its own statement, not the others sent with it.
        const [uncloneable, fine] = await Promise.all([
          failure(raw.query('select $1::text', [() => SECRETS.text])),
          raw.query<{ one: number }>('select 1 as one'),
        ]);
        expect((uncloneable as Error).message).toBe(
          'A query parameter cannot be sent to the database thread.',
        );
        expect(fine.rows).toEqual([{ one: 1 }]);
      });

      it('a killed worker: the statement in flight and every later one fail with DB_UNAVAILABLE; close still releases the lock', async () => {
        const dataDir = join(target.dataDir, 'killed');
        const doomed = await openDatabase({ dataDir, pgliteThread: 'worker' });
        await doomed.db.execute(sql`create table kill_probe (n int)`);
        await doomed.db.execute(sql`insert into kill_probe values (1)`);
        // A statement that is still running when the thread ends (pg_sleep holds it there).
        const inFlight = failure(doomed.db.execute(sql`select pg_sleep(30)`));
        const inTx = failure(
          doomed.db.transaction(async (tx) => {
            await tx.execute(sql`insert into kill_probe values (2)`);
          }),
        );
        await workerOf(doomed).kill();
        for (const err of [await inFlight, await inTx, await failure(doomed.db.execute(sql`select 1`))]) {
          expect(isKithError(err, 'DB_UNAVAILABLE'), String(err)).toBe(true);
          expect((err as Error).message).toContain('The embedded database stopped');
        }
        expect(existsSync(join(dataDir, 'db.lock'))).toBe(true);
        await doomed.close();
        expect(existsSync(join(dataDir, 'db.lock'))).toBe(false);
        // Postgres recovers the directory on the next open: what was committed is there.
        const again = await openDatabase({ dataDir, pgliteThread: 'worker' });
        try {
          const rows = (await again.db.execute(sql`select n from kill_probe order by n`)) as unknown as {
            rows: unknown[];
          };
          expect(rows.rows).toEqual([{ n: 1 }]);
        } finally {
          await again.close();
        }
      });
    }
  });
}
