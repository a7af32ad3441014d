/**
 * Long-mode fuzzing of the local API's request decoding (issue #17, docs/SECURITY.md
 * "Fuzzing"): the requests of api-bodies.fuzz.test.ts (path parameters, query strings and bodies
 * from each route's schema, broken, of any shape, other content types), sent through inject to
 * the API's own fastify set-up (`createApiServer`: the body parser and its limit, the router,
 * the bearer token, the NUL guard, the lazily compiled validators, the error mapping) where
 * every route of @kith/api/routes is registered with its own schemas and a handler that only
 * answers 204. What it covers is everything before a handler; the handlers are api-bodies'
 * (a node with a database, some tens of requests a second, 40 per route). The log-level routes
 * and events routes are the real ones. Each answer is 204 or a catalogued error with its status, never INTERNAL.
 */
import { Writable } from 'node:stream';
import { type RouteSpec, ROUTES } from '@kith/api/routes';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_TIMEOUT, fuzzAssert, params } from '../../../../packages/core/test/fuzz/harness.ts';
import type { AgentContext, ApiPlugin, ApiServer } from '../../src/api/context.ts';
import { createApiServer } from '../../src/api/server.ts';
import { createLogger } from '../../src/logger.ts';
import { checkAnswer, injectOf, requestOf } from './api-fuzz-cases.ts';
import { stringPool } from './api-schema-arbitrary.ts';

const TOKEN = 'f'.repeat(64);
const headers = { authorization: `Bearer ${TOKEN}` };
/** Not here: /api/health takes no input (no parameters, query or body) and its handler asks the database. */
const names = (Object.keys(ROUTES) as (keyof typeof ROUTES)[]).filter((n) => n !== 'health');
const pool = stringPool([
  'bwwcj-x6s30-63kpz-cp8fe-trg9y',
  'KITH1-0000-0000-0000-0000',
  '0'.repeat(64),
  'silent',
  'debug',
]);

/** Every route the server does not register itself, with its schemas and an answering handler. */
const answering: ApiPlugin = async (api) => {
  for (const name of names) {
    const route = ROUTES[name] as RouteSpec;
    if (api.hasRoute({ method: route.method, url: `/api${route.path}` })) continue;
    api.route({
      method: route.method,
      url: route.path,
      schema: {
        ...(route.params ? { params: route.params } : {}),
        ...(route.query ? { querystring: route.query } : {}),
        ...(route.body ? { body: route.body } : {}),
      },
      handler: async (_request, reply) => reply.status(204).send(),
    });
  }
};

let app: ApiServer;
beforeAll(async () => {
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const context = {
    logger: createLogger({ level: 'silent', destination: discard }),
    version: 'fuzz',
  } as unknown as AgentContext;
  app = createApiServer(context, TOKEN, [answering]);
  await app.ready();
});

const answered = new Map<string, number>();
afterAll(async () => {
  await app?.close();
  console.log(`api decoding fuzz answers: ${JSON.stringify(Object.fromEntries([...answered].sort()))}`);
});

describe('fuzz: the API decodes every route’s requests to a handler or a catalogued 4xx', {
  retry: 0,
}, () => {
  it(
    'requests to every route, decoded up to the handler (createApiServer with answering handlers)',
    async () => {
      const requests = fc.oneof(
        ...names.map((name) => requestOf(ROUTES[name] as RouteSpec, pool).map((r) => ({ name, r }))),
      );
      await fuzzAssert(
        fc.asyncProperty(requests, async ({ name, r }) => {
          const route = ROUTES[name] as RouteSpec;
          const res = await app.inject(injectOf(route, r, headers));
          checkAnswer(
            `${name} ${route.method} ${r.url} ${r.contentType} ${String(r.payload).slice(0, 200)}`,
            res,
            answered,
          );
          if (name === 'setLogLevel' && res.statusCode < 400) {
            await app.inject({ method: 'PUT', url: '/api/log-level', headers, payload: { level: 'silent' } });
          }
        }),
        params(1000),
      );
      // Most cases get past the parsers and validators (a handler answered), so the fuzz is not
      // only exercising refusals.
      expect(answered.get('204') ?? 0).toBeGreaterThan(0);
    },
    FUZZ_TIMEOUT,
  );
});
