import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { installBearerAuth } from './auth.ts';
import type { AgentContext, ApiPlugin, ApiServer } from './context.ts';
import { installDocs } from './docs.ts';
import { answerFrameworkError, installErrorHandling } from './errors.ts';
import { LAZY_COMPILERS } from './lazy-compilers.ts';
import { refuseNul } from './nul-guard.ts';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { logLevelRoutes } from './routes/log-level.ts';

export const API_PREFIX = '/api';
const BODY_LIMIT = 1 << 20;

/**
 * The local API (docs/DESIGN.md §3, §12): fastify with typebox schemas, OpenAPI at /api/docs, bearer
 * token on everything but /api/health and the docs UI's pages (the OpenAPI document itself needs
 * it), errors as `{ error: { code, message } }`.
 * Not listening: the agent's `start()` does that. `plugins` are mounted under /api.
 */
export function createApiServer(
  context: AgentContext,
  token: string,
  plugins: readonly ApiPlugin[] = [],
): ApiServer {
  const app = Fastify({
    loggerInstance: context.logger.child({ part: 'api' }) as FastifyBaseLogger,
    // Fastify's own request lines would log URLs, and `?token=` with them.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    forceCloseConnections: true,
    frameworkErrors: answerFrameworkError,
    // Validators and serializers are built per route on its first request (lazy-compilers.ts).
    schemaController: { compilersFactory: LAZY_COMPILERS },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('kith', context);
  installErrorHandling(app);
  installBearerAuth(app, token);
  app.addHook('preValidation', refuseNul);
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      {
        method: request.method,
        route: request.routeOptions.url,
        status: reply.statusCode,
        ms: reply.elapsedTime,
      },
      'api request',
    );
  });

  // The OpenAPI document and its UI at /api/docs, built on first request (docs.ts).
  installDocs(app, { version: context.version });
  app.register(websocket, { options: { maxPayload: BODY_LIMIT } });
  app.register(
    async (api) => {
      await api.register(healthRoutes);
      await api.register(logLevelRoutes);
      await api.register(eventRoutes);
      for (const plugin of plugins) await api.register(plugin);
    },
    { prefix: API_PREFIX },
  );
  return app;
}
