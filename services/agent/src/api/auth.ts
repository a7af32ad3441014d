import { KithError } from '@kith/core/errors';
import type { FastifyRequest } from 'fastify';
import type { ApiServer } from './context.ts';
import { DOCS_PREFIX } from './docs.ts';
import { tokenMatcher } from './token.ts';

/** The OpenAPI document itself lists the routes: behind the token like every route. */
const DOCS_DOCUMENTS = new Set([`${DOCS_PREFIX}/json`, `${DOCS_PREFIX}/yaml`]);

/**
 * Every route needs `Authorization: Bearer <token>` unless it is marked public; WebSocket
 * routes marked `tokenInQuery` also take `?token=`. The docs UI's pages are public (generic
 * swagger-ui assets that name no route); the document they load is not. Runs on every request, unknown routes
 * included, so a caller without the token learns nothing about which routes exist.
 * A `preParsing` hook: before any body is read, and after @fastify/websocket's `onRequest`
 * hook has marked upgrade requests, so a refused upgrade's socket is closed after the 401.
 */
export function installBearerAuth(app: ApiServer, token: string): void {
  const matches = tokenMatcher(token);
  app.addHook('preParsing', async (request) => {
    const config = request.routeOptions.config;
    if (config?.public || isDocsPage(request)) return;
    const given = bearerOf(request) ?? (config?.tokenInQuery ? queryTokenOf(request) : undefined);
    if (!matches(given)) throw new KithError('API_UNAUTHORIZED');
  });
}

function isDocsPage(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  if (route === undefined || DOCS_DOCUMENTS.has(route)) return false;
  return route === DOCS_PREFIX || route.startsWith(`${DOCS_PREFIX}/`);
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

function queryTokenOf(request: FastifyRequest): string | undefined {
  const token = (request.query as Record<string, unknown> | undefined)?.token;
  return typeof token === 'string' ? token : undefined;
}
