/**
 * A failed query never shows its values (docs/SECURITY.md "Logs and errors"): not in the error
 * thrown, its stack, a log line (through the agent's real logger) nor the API's answer, on
 * PGlite and on Postgres. Before db/query-error.ts the error said "Failed query: … params: <every
 * value>", the driver's error kept them (`params`, `parameters`) and quoted row values in `detail`
 * ("Key (id)=(…) already exists") and in its message ('invalid input syntax for type integer:
 * "…"'), and each of these reached the log line of a failed API request. The SQL text, the
 * SQLSTATE and the constraint stay, so a person can still find what failed.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { KithError } from '@kith/core/errors';
import type { KithDatabase } from '@kith/db/database';
import { QueryError } from '@kith/db/query-error';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  type TestDatabaseKind,
  type TestDatabaseTarget,
  testDatabaseKinds,
} from '../../../../test/helpers/database.ts';
import { captureLogs, findSecret } from '../../../../test/helpers/log-capture.ts';
import type { ApiPlugin } from '../../src/api/context.ts';
import type { Agent } from '../../src/app.ts';
import { sanitizeForLog } from '../../src/logger.ts';
import { InviteRepository } from '../../src/repositories/invite-repository.ts';
import { buildTestAgent } from '../api/harness.ts';

const tag = randomBytes(6).toString('hex');
/** Secret-looking values the queries below carry as parameters. */
const SECRETS = {
  inviteId: `SECRET-INVITE-ID-${tag}`,
  sealed: new TextEncoder().encode(`SEALED-INVITE-SECRET-${tag}`),
  text: `MESSAGE-TEXT-${tag}`,
};

const inviteRow = () => ({
  id: SECRETS.inviteId,
  role: 'friend' as const,
  secretSealed: SECRETS.sealed,
  createdAt: new Date(1_700_000_000_000),
  expiresAt: new Date(1_700_000_600_000),
});

/** Every way an error is turned into text on its way to a person or a log. */
function shownForms(err: unknown): string {
  const e = err as Error;
  return [e.message, e.stack, String(e), inspect(e, { depth: 6 }), JSON.stringify(sanitizeForLog(e))].join(
    '\n',
  );
}

/** Probe routes: a real repository's query that fails with the values above, and a real bug. */
const probeRoutes: ApiPlugin = async (app) => {
  app.post('/probe/invite-twice', async () => {
    const invites = new InviteRepository(app.kith.db.db);
    await invites.create(inviteRow());
    await invites.create(inviteRow());
    return {};
  });
  app.post('/probe/bad-type', async () => {
    await app.kith.db.db.execute(sql`select ${SECRETS.text}::int`);
    return {};
  });
  app.post('/probe/bug', async () => {
    const settings = undefined as unknown as { limit: number };
    return { limit: settings.limit };
  });
};

/** An agent with the probe routes on a fresh database of `kind`, its logs captured at debug level. */
function probeAgent(kind: TestDatabaseKind) {
  const probe = {
    target: undefined as unknown as TestDatabaseTarget,
    database: undefined as unknown as KithDatabase,
    agent: undefined as unknown as Agent,
    logs: captureLogs('debug'),
    auth: { authorization: '' },
  };
  beforeAll(async () => {
    probe.target = await createTestDatabase(kind);
    probe.database = await probe.target.open();
    await probe.database.migrate();
    probe.agent = await buildTestAgent({
      dataDir: probe.target.dataDir,
      database: probe.database,
      plugins: [probeRoutes],
      logger: probe.logs.logger,
    });
    probe.auth = { authorization: `Bearer ${probe.agent.apiToken}` };
  });
  afterAll(async () => {
    await probe.agent?.stop();
    await probe.database?.close();
    await probe.target?.dispose();
  });
  return probe;
}

for (const kind of testDatabaseKinds()) {
  describe(`a failed query on ${kind} shows no value`, () => {
    const probe = probeAgent(kind);

    it('a unique violation: the SQL, the SQLSTATE and the constraint, never the row', async () => {
      const invites = new InviteRepository(probe.database.db);
      await probe.database.db.execute(sql`delete from invites where id = ${SECRETS.inviteId}`);
      await invites.create(inviteRow());
      const err = await invites.create(inviteRow()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(QueryError);
      const q = err as QueryError;
      expect(q.code).toBe('23505');
      expect(q.constraint).toBe('invites_pkey');
      expect(q.query).toMatch(/^insert into "invites" \(/);
      expect(q.message).toContain('duplicate key value violates unique constraint "invites_pkey"');
      expect(q.stack).toContain('invite-repository.ts');
      expect(findSecret(shownForms(err), SECRETS)).toBeUndefined();
      // Wrapped in the catalogue, as repositories do, and logged the ways the agent probe.logs.
      const wrapped = new KithError('INTERNAL', undefined, { cause: err });
      probe.logs.logger.error({ err: wrapped }, 'wrapped');
      probe.logs.logger.warn({ err }, 'as it is');
      probe.logs.logger.error(err as Error);
      expect(probe.logs.text()).toContain('invites_pkey');
      expect(findSecret(probe.logs.text(), SECRETS)).toBeUndefined();
    });

    it('a value the database cannot read: the quoted value is masked', async () => {
      const err = await probe.database.db.execute(sql`select ${SECRETS.text}::int`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(QueryError);
      expect((err as QueryError).code).toBe('22P02');
      expect((err as Error).message).toBe(
        'invalid input syntax for type integer: "…" (22P02) in query: select $1::int',
      );
      expect(findSecret(shownForms(err), SECRETS)).toBeUndefined();
    });

    it('a failure inside a transaction, and its rollback, shows no value either', async () => {
      const err = await probe.database.db
        .transaction(async (tx) => {
          await tx.execute(sql`select ${SECRETS.text}::int`);
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(QueryError);
      expect(findSecret(shownForms(err), SECRETS)).toBeUndefined();
    });

    it('through the API: the generic sentence to the person, the query without values to the log', async () => {
      await probe.database.db.execute(sql`delete from invites where id = ${SECRETS.inviteId}`);
      for (const url of ['/api/probe/invite-twice', '/api/probe/bad-type']) {
        const res = await probe.agent.api.inject({ method: 'POST', url, headers: probe.auth });
        expect(res.statusCode, url).toBe(500);
        expect(res.json()).toEqual({
          error: { code: 'INTERNAL', message: 'Something went wrong inside Kith.' },
        });
      }
      const failed = probe.logs.lines().filter((l) => l.msg === 'request failed');
      expect(failed.length).toBeGreaterThanOrEqual(2);
      const text = probe.logs.text();
      expect(text).toContain('insert into \\"invites\\"');
      expect(text).toContain('select $1::int');
      expect(findSecret(text, SECRETS)).toBeUndefined();
    });
  });

  describe(`an INTERNAL error on ${kind}`, () => {
    const probe = probeAgent(kind);

    it('the person sees the generic sentence; the log at debug level has the stack of the bug', async () => {
      const res = await probe.agent.api.inject({
        method: 'POST',
        url: '/api/probe/bug',
        headers: { authorization: `Bearer ${probe.agent.apiToken}` },
      });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({
        error: { code: 'INTERNAL', message: 'Something went wrong inside Kith.' },
      });
      expect(res.body).not.toContain('limit');
      const line = probe.logs.lines().find((l) => l.msg === 'request failed');
      expect(line?.code).toBe('INTERNAL');
      const err = line?.err as { type?: string; message?: string; stack?: string } | undefined;
      expect(err?.type).toBe('TypeError');
      expect(err?.message).toContain("reading 'limit'");
      // The frame of the bug: this file, where the probe route reads the property.
      expect(err?.stack).toMatch(/TypeError: .*\n\s+at .*query-errors\.test\.ts:\d+/);
    });
  });
}
