/**
 * Fuzzing of the local API (issue #17, docs/SECURITY.md "Fuzzing"): every route of
 * @kith/api/routes on a running node (runNode in process, real PGlite), called through fastify's
 * inject with the right token and fuzzed path parameters, query strings and bodies: values made
 * from the route's own schema (so most pass validation and reach the handler), the same with a
 * part broken, JSON of any shape, text that is not JSON, and other content types. Each answer is
 * a success or an error whose code is in the catalogue with the catalogue's status, never
 * INTERNAL and never a bare 500. Long mode: KITH_FUZZ_RUNS=N (or npm run fuzz -- --runs N).
 */
import { join } from 'node:path';
import { type RouteSpec, ROUTES } from '@kith/api/routes';
import { ERROR_CATALOGUE, type ErrorCode } from '@kith/core/errors';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzAssert, FUZZ_TIMEOUT, params } from '../../../../packages/core/test/fuzz/harness.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import type { RunningNode } from '../../src/node.ts';
import { bodyText, fromSchema, stringPool } from './api-schema-arbitrary.ts';

/** Cases per route in short mode; the backup route streams a database dump per case. */
const CASES = 40;
const FEWER: Partial<Record<keyof typeof ROUTES, number>> = { backup: 4 };
/** Run last: they change what every other route answers (a locked node only relays). */
const LAST: (keyof typeof ROUTES)[] = ['lock', 'unlock'];

const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  undefined,
];

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

/** Path parameters filled in, percent-encoded (lone surrogates as U+FFFD), or raw when `raw` says so. */
function pathOf(route: RouteSpec, values: Record<string, unknown>, raw = false): string {
  return `/api${route.path.replace(/:([a-zA-Z]+)/g, (_, name: string) => {
    const value = String(values[name] ?? '');
    return raw ? value : encodeURIComponent(Buffer.from(value, 'utf8').toString('utf8'));
  })}`;
}

type Answer = { statusCode: number; body: string };

/** A success, or the error shape with a catalogued code and its status; never INTERNAL. */
function checkAnswer(whatCase: string, res: Answer): void {
  const kind = res.statusCode < 400 ? `${res.statusCode}` : (safeCode(res.body) ?? String(res.statusCode));
  answered.set(kind, (answered.get(kind) ?? 0) + 1);
  let what = whatCase;
  if (res.statusCode < 400) return;
  let code: string | undefined;
  try {
    code = (JSON.parse(res.body) as { error?: { code?: string } }).error?.code;
  } catch {
    // not JSON: fails below
  }
  what = what.slice(0, 300);
  expect(code, `${what}: ${res.statusCode} ${res.body.slice(0, 300)}`).toBeDefined();
  expect(Object.hasOwn(ERROR_CATALOGUE, code!), `${what}: code ${code} is not catalogued`).toBe(true);
  expect(code, `${what}: ${res.body.slice(0, 300)}`).not.toBe('INTERNAL');
  expect(res.statusCode, `${what}: ${code}`).toBe(ERROR_CATALOGUE[code as ErrorCode].status);
  expect(res.statusCode, what).not.toBe(500);
}

function safeCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

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
      checkAnswer(request.url, res);
      expect(res.json().error.code, request.url).toBe('INVALID_INPUT');
    }
  });

  it('regression: a path parameter over the router’s length limit or with bad percent-encoding gets a catalogued 400', async () => {
    for (const name of names.filter((n) => (ROUTES[n] as RouteSpec).params)) {
      const route = ROUTES[name] as RouteSpec;
      for (const value of ['a'.repeat(500), '%zz', '%E0%A4%A']) {
        const url = pathOf(route, { id: value, userId: value, name: value }, true);
        const res = await running.agent.api.inject({ method: route.method, url, headers });
        checkAnswer(`${route.method} ${url}`, res);
        expect(res.statusCode, url).toBe(400);
      }
    }
  });

  for (const name of order) {
    const route = ROUTES[name] as RouteSpec;
    it(
      `${route.method} ${route.path} (${name})`,
      async () => {
        const paramValues = route.params
          ? fc.oneof(
              fromSchema(route.params as never, pool) as fc.Arbitrary<Record<string, unknown>>,
              fc.dictionary(fc.constantFrom('id', 'userId', 'name'), fc.string({ maxLength: 300 })),
            )
          : fc.constant({});
        const query = route.query
          ? fc.oneof(
              fromSchema(route.query as never, pool),
              fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 40 }), { maxKeys: 4 }),
            )
          : fc.constant({});
        const body =
          route.method === 'GET'
            ? fc.constant(undefined)
            : bodyText(route.body ? fromSchema(route.body as never, pool) : fc.constant({}));
        await fuzzAssert(
          fc.asyncProperty(
            paramValues,
            query,
            body,
            fc.constantFrom(...CONTENT_TYPES),
            async (p, q, payload, contentType) => {
              const url = pathOf(route, p as Record<string, unknown>);
              const res = await running.agent.api.inject({
                method: route.method,
                url,
                query: Object.fromEntries(
                  Object.entries((q ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
                ),
                headers: {
                  ...headers,
                  ...(payload !== undefined && contentType ? { 'content-type': contentType } : {}),
                },
                ...(payload !== undefined ? { payload } : {}),
              });
              checkAnswer(`${route.method} ${url} ${contentType} ${String(payload).slice(0, 200)}`, res);
              // Keep the test's output quiet whatever level the fuzz set.
              if (name === 'setLogLevel') {
                await running.agent.api.inject({
                  method: 'PUT',
                  url: '/api/log-level',
                  headers,
                  payload: { level: 'silent' },
                });
              }
            },
          ),
          params(FEWER[name] ?? CASES),
        );
      },
      FUZZ_TIMEOUT,
    );
  }
});
