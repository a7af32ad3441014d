/**
 * The API's OpenAPI document and its docs UI at /api/docs (docs/API.md), built on the first
 * request for them instead of at start (docs/ARCHITECTURE.md "Start-up"). @fastify/swagger and
 * @fastify/swagger-ui, with yaml, @fastify/static and glob under them, are some 170 modules
 * that a start loaded for pages most nodes never serve. Here the agent notes each route as it
 * is registered; the first request under /api/docs loads them into a second fastify instance
 * that holds the same routes' schemas (and no handlers that run), and every docs request is
 * answered by that instance. Same document, same pages, same rules: the document needs the
 * token (auth.ts), the UI's pages do not.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { ApiServer } from './context.ts';
import { LAZY_COMPILERS } from './lazy-compilers.ts';

export const DOCS_PREFIX = '/api/docs';

export interface DocsOptions {
  /** The API's version, in the document's `info`. */
  version: string;
}

/** Request headers the docs instance sees (caching and content negotiation). */
const FORWARDED = ['accept', 'accept-encoding', 'if-none-match', 'if-modified-since', 'range'];
/** Hop-by-hop headers that are not copied back from the docs instance's answer. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date']);

/**
 * Installs the route recorder (before any route is registered) and the /api/docs routes.
 * Call it before the API's routes are registered: routes added before it are not listed.
 */
export function installDocs(app: ApiServer, options: DocsOptions): void {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    // fastify's own HEAD twins of GET routes are not listed (@fastify/swagger's default).
    if (route.method !== 'HEAD' && !route.url.startsWith(DOCS_PREFIX)) routes.push(route);
  });
  let docs: Promise<FastifyInstance> | undefined;
  const answer = async (request: FastifyRequest, reply: FastifyReply) => {
    docs ??= buildDocs(routes, options).catch((e: unknown) => {
      docs = undefined; // tried again on the next request
      throw e;
    });
    const headers: Record<string, string> = {};
    for (const name of FORWARDED) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const res = await (await docs).inject({ method: 'GET', url: request.url, headers });
    for (const [name, value] of Object.entries(res.headers))
      if (value !== undefined && !HOP_BY_HOP.has(name)) reply.header(name, value);
    return reply.code(res.statusCode).send(res.rawPayload);
  };
  const hidden = { schema: { hide: true } };
  // The documents by name, so auth.ts tells them from the UI's pages (which are public).
  for (const url of [DOCS_PREFIX, `${DOCS_PREFIX}/json`, `${DOCS_PREFIX}/yaml`, `${DOCS_PREFIX}/*`])
    app.get(url, hidden, answer);
}

/** A fastify instance with swagger, swagger-ui and every recorded route's schema (handlers never run). */
async function buildDocs(routes: readonly RouteOptions[], options: DocsOptions): Promise<FastifyInstance> {
  const [{ default: Fastify }, { default: swagger }, { default: swaggerUi }] = await Promise.all([
    import('fastify'),
    import('@fastify/swagger'),
    import('@fastify/swagger-ui'),
  ]);
  // Nothing is validated or serialised here: the lazy compilers never compile.
  const docs = Fastify({ schemaController: { compilersFactory: LAZY_COMPILERS } });
  await docs.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kith agent local API',
        version: options.version,
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
  await docs.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { requestInterceptor: sendTokenFromFragment },
  });
  const notServed = async () => undefined;
  for (const route of routes) {
    // WebSocket routes are hidden, as @fastify/websocket hides them (OpenAPI has no words for them).
    if ((route as { websocket?: boolean }).websocket) continue;
    docs.route({
      method: route.method,
      url: route.url,
      ...(route.schema ? { schema: route.schema } : {}),
      handler: notServed,
    });
  }
  await docs.ready();
  return docs;
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
