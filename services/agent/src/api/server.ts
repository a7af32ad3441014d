import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { installBearerAuth } from './auth.ts';
import type { AgentContext, ApiPlugin, ApiServer } from './context.ts';
import { answerFrameworkError, installErrorHandling } from './errors.ts';
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
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(TypeBoxValidatorCompiler);
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

  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kith agent local API',
        version: context.version,
        description:
          'Loopback-only API of a Kith agent: bearer token from DATA/api-token on every route but ' +
          '/api/health; errors are { error: { code, message } }. The WebSocket event ' +
          'stream GET /api/events (token as bearer header or ?token=) is not listed below: OpenAPI ' +
          'does not describe WebSockets. See docs/API.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.register(swaggerUi, {
    routePrefix: `${API_PREFIX}/docs`,
    uiConfig: { requestInterceptor: sendTokenFromFragment },
  });
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

/**
 * Runs in the browser (serialised into the docs page): the token given once as
 * `/api/docs/#token=…` (a fragment never reaches the server or its logs) goes with every request
 * the docs page makes, the OpenAPI document included. Self-contained: no closure survives.
 */
function sendTokenFromFragment<R extends { headers?: Record<string, string> }>(request: R): R {
  const page = globalThis as unknown as {
    location: { hash: string };
    sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
  };
  const found = /(?:^#|&)token=([^&]+)/.exec(page.location.hash);
  if (found?.[1]) page.sessionStorage.setItem('kith-api-token', found[1]);
  const token = page.sessionStorage.getItem('kith-api-token');
  if (token) request.headers = { ...request.headers, Authorization: `Bearer ${token}` };
  return request;
}
