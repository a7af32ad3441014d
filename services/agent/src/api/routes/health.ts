import { sql } from 'drizzle-orm';
import { ROUTES } from '@kith/api/routes';
import type { ApiPlugin } from '../context.ts';

/** GET /api/health: no token needed, for health checks and `kith status`. */
export const healthRoutes: ApiPlugin = async (app) => {
  const route = ROUTES.health;
  app.get(
    route.path,
    {
      config: { public: true },
      schema: {
        summary: 'Liveness and database reachability (no token needed).',
        tags: ['agent'],
        security: [],
        response: { 200: route.response, 503: route.response },
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
