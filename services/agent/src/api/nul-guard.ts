import { KithError } from '@kith/core/errors';

/**
 * Whether any string in a request's params, query or body holds U+0000. Postgres text cannot
 * store it, so such a string reached the database and came back as INTERNAL (found by the API
 * fuzz: `GET /api/messages?conversation=%00`); no route takes it on purpose (bytes travel as
 * base64). Iterative, since a body may nest thousands of levels deep.
 */
export function holdsNul(...values: unknown[]): boolean {
  const stack = [...values];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (isPlainData(v)) {
      for (const [key, inner] of Object.entries(v)) {
        if (key.includes('\u0000')) return true;
        stack.push(inner);
      }
    }
  }
  return false;
}

/**
 * Parsed JSON: arrays and plain objects only. A streamed body (a backup upload) is a live
 * IncomingMessage whose graph (socket, server, itself) has cycles: never walked.
 */
function isPlainData(v: unknown): v is object {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Keys and values of the parsed params or query. Their objects are made by the router and the
 * query parser with a prototype of their own (neither Object.prototype nor null), so the plain-data
 * walk would skip them: the guard let `%00` in a path or query through to Postgres.
 */
function entriesOf(map: unknown): unknown[] {
  if (typeof map !== 'object' || map === null) return [];
  return Object.entries(map).flat();
}

/** The fastify hook: INVALID_INPUT before validation and handler. */
export async function refuseNul(request: { params: unknown; query: unknown; body: unknown }): Promise<void> {
  if (holdsNul(...entriesOf(request.params), ...entriesOf(request.query), request.body)) {
    throw new KithError(
      'INVALID_INPUT',
      'Text may not contain the NUL character (U+0000); remove it and try again.',
    );
  }
}
