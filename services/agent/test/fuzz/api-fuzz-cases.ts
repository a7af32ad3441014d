/**
 * What both API fuzz suites share (docs/SECURITY.md "Fuzzing"): a request for a route made from
 * its own schemas (api-schema-arbitrary.ts), the path it goes to, and the check of an answer.
 * api-bodies.fuzz.test.ts sends them to a running node; api-decoding.fuzz.test.ts to the same
 * fastify set-up with handlers that only answer, for a million cases in long mode.
 */
import type { RouteSpec } from '@kith/api/routes';
import { ERROR_CATALOGUE, type ErrorCode } from '@kith/core/errors';
import fc from 'fast-check';
import { expect } from 'vitest';
import { bodyText, fromSchema } from './api-schema-arbitrary.ts';

export const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  undefined,
];

/** Path parameters filled in, percent-encoded (lone surrogates as U+FFFD), or raw when `raw` says so. */
export function pathOf(route: RouteSpec, values: Record<string, unknown>, raw = false): string {
  return `/api${route.path.replace(/:([a-zA-Z]+)/g, (_, name: string) => {
    const value = String(values[name] ?? '');
    return raw ? value : encodeURIComponent(Buffer.from(value, 'utf8').toString('utf8'));
  })}`;
}

export interface FuzzRequest {
  url: string;
  query: Record<string, string>;
  payload: string | undefined;
  contentType: string | undefined;
}

/** Path parameters, query and body for `route`: from its schemas, broken, or of any shape. */
export function requestOf(route: RouteSpec, pool: fc.Arbitrary<string>): fc.Arbitrary<FuzzRequest> {
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
  return fc
    .tuple(paramValues, query, body, fc.constantFrom(...CONTENT_TYPES))
    .map(([p, q, payload, contentType]) => ({
      url: pathOf(route, p as Record<string, unknown>),
      query: Object.fromEntries(
        Object.entries((q ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
      ),
      payload,
      contentType,
    }));
}

/** The inject options of a fuzzed request, with the token. */
export function injectOf(route: RouteSpec, r: FuzzRequest, headers: { authorization: string }) {
  return {
    method: route.method,
    url: r.url,
    query: r.query,
    headers: {
      ...headers,
      ...(r.payload !== undefined && r.contentType ? { 'content-type': r.contentType } : {}),
    },
    ...(r.payload !== undefined ? { payload: r.payload } : {}),
  };
}

export type Answer = { statusCode: number; body: string };

/** A success, or the error shape with a catalogued code and its status; never INTERNAL. */
export function checkAnswer(whatCase: string, res: Answer, answered?: Map<string, number>): void {
  const kind = res.statusCode < 400 ? `${res.statusCode}` : (safeCode(res.body) ?? String(res.statusCode));
  answered?.set(kind, (answered.get(kind) ?? 0) + 1);
  if (res.statusCode < 400) return;
  const code = safeCode(res.body);
  const what = whatCase.slice(0, 300);
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
