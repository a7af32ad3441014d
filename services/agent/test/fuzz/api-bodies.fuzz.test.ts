/**
 * Fuzzing of the local API (issue #17, docs/SECURITY.md "Fuzzing"): every route of
 * @kith/api/routes on a running node (runNode in process, real PGlite), called through fastify's
 * inject with the right token and fuzzed path parameters, query strings and bodies: values made
 * from the route's own schema (so most pass validation and reach the handler), the same with a
 * part broken, JSON of any shape, text that is not JSON, and other content types. Each answer is
 * a success or an error whose code is in the catalogue with the catalogue's status, never
 * INTERNAL and never a bare 500. A case costs a request to a node with a database, so these keep
 * their short counts in long mode; api-decoding.fuzz.test.ts sends the same requests to the same
 * fastify set-up with answering handlers, a million cases in long mode.
 */
import { join } from 'node:path';
import { type RouteSpec, ROUTES } from '@kith/api/routes';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_TIMEOUT, fuzzAssert, shortParams } from '../../../../packages/core/test/fuzz/harness.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import type { RunningNode } from '../../src/node.ts';
import { checkAnswer, injectOf, pathOf, requestOf } from './api-fuzz-cases.ts';
import { stringPool } from './api-schema-arbitrary.ts';

/** Cases per route in short mode; the backup route streams a database dump per case. */
const CASES = 40;
const FEWER: Partial<Record<keyof typeof ROUTES, number>> = { backup: 4 };
/** Run last: they change what every other route answers (a locked node only relays). */
const LAST: (keyof typeof ROUTES)[] = ['lock', 'unlock'];

let dir: string;
let running: RunningNode;
let headers: { authorization: string };
let pool: fc.Arbitrary<string>;

beforeAll(async () => {
  dir = await makeTempDir('kith-api-fuzz-');
  running = await startInProcessNode(join(dir, 'a'), '127.0.0.81', { heartbeatMeanMs: 2000 });
  headers = { authorization: `Bearer ${running.agent.apiToken}` };
  // Real ids and codes of this node, so a fuzzed value often names something that exists.
  const invite = await running.pairing.createInvite({ role: 'friend' });
  pool = stringPool([
    running.node.userId,
    invite.code,
    invite.id,
    'bwwcj-x6s30-63kpz-cp8fe-trg9y',
    '0'.repeat(64),
    'silent',
    'debug',
  ]);
}, 120_000);

/** Answers by status class, printed at the end: how often the fuzz got past validation. */
const answered = new Map<string, number>();
afterAll(async () => {
  await running?.shutdown();
  console.log(`api fuzz answers: ${JSON.stringify(Object.fromEntries([...answered].sort()))}`);
});

const names = Object.keys(ROUTES) as (keyof typeof ROUTES)[];
const order = [...names.filter((n) => !LAST.includes(n)), ...LAST];

describe('fuzz: every API route answers a value or a catalogued 4xx, never INTERNAL', { retry: 0 }, () => {
  it('covers every route of @kith/api/routes', () => {
    expect(order.length).toBeGreaterThan(50);
  });

  it('regression: a NUL character in a query, a path parameter or a body is INVALID_INPUT (the query was INTERNAL)', async () => {
    for (const request of [
      { method: 'GET' as const, url: '/api/messages', query: { conversation: '\u0000' } },
      { method: 'GET' as const, url: `/api/conversations/${encodeURIComponent('a\u0000b')}` },
      { method: 'POST' as const, url: '/api/identity/name', payload: { name: 'a\u0000b' } },
    ]) {
      const res = await running.agent.api.inject({ ...request, headers });
      checkAnswer(request.url, res, answered);
      expect(res.json().error.code, request.url).toBe('INVALID_INPUT');
    }
  });

  it('regression: a path parameter over the router’s length limit or with bad percent-encoding gets a catalogued 400', async () => {
    for (const name of names.filter((n) => (ROUTES[n] as RouteSpec).params)) {
      const route = ROUTES[name] as RouteSpec;
      for (const value of ['a'.repeat(500), '%zz', '%E0%A4%A']) {
        const url = pathOf(route, { id: value, userId: value, name: value }, true);
        const res = await running.agent.api.inject({ method: route.method, url, headers });
        checkAnswer(`${route.method} ${url}`, res, answered);
        expect(res.statusCode, url).toBe(400);
      }
    }
  });

  for (const name of order) {
    const route = ROUTES[name] as RouteSpec;
    it(
      `${route.method} ${route.path} (${name})`,
      async () => {
        await fuzzAssert(
          fc.asyncProperty(requestOf(route, pool), async (r) => {
            const res = await running.agent.api.inject(injectOf(route, r, headers));
            checkAnswer(
              `${route.method} ${r.url} ${r.contentType} ${String(r.payload).slice(0, 200)}`,
              res,
              answered,
            );
            // Keep the test's output quiet whatever level the fuzz set.
            if (name === 'setLogLevel') {
              await running.agent.api.inject({
                method: 'PUT',
                url: '/api/log-level',
                headers,
                payload: { level: 'silent' },
              });
            }
          }),
          shortParams(FEWER[name] ?? CASES),
        );
      },
      FUZZ_TIMEOUT,
    );
  }
});
