import { sql } from 'drizzle-orm';
import Type from 'typebox';
import type { ApiPlugin } from '../context.ts';

const Health = Type.Object(
  {
    ok: Type.Boolean({ description: 'The agent runs and its database answers.' }),
    version: Type.String(),
    database: Type.Enum(['postgres', 'pglite']),
    locked: Type.Optional(
      Type.Boolean({
        description: 'A node only: its device keys are closed, it relays only (`kith unlock`).',
      }),
    ),
  },
  { title: 'Health' },
);

/** GET /api/health: no token needed, for health checks and `kith status`. */
export const healthRoutes: ApiPlugin = async (app) => {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        summary: 'Liveness and database reachability (no token needed).',
        tags: ['agent'],
        security: [],
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const { db, version, lockState } = app.kith;
      let ok = true;
      try {
        await db.db.execute(sql`select 1`);
      } catch (err) {
        ok = false;
        app.log.warn({ err }, 'health check: the database does not answer');
      }
      return reply
        .status(ok ? 200 : 503)
        .send({ ok, version, database: db.kind, ...(lockState ? { locked: lockState.locked } : {}) });
    },
  );
};
