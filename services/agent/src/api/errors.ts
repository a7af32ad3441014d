import { KithError } from '@kith/core/errors';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isDiskFull } from '../disk-full.ts';
import type { ApiServer } from './context.ts';

/** The one error shape of the API: `{ error: { code, message } }`, status from the catalogue. */
export { ErrorBody } from '@kith/api/schemas/common';

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message: string;
  validation?: unknown[];
}

/** Maps anything thrown in a route to a KithError; unknown failures become INTERNAL. */
export function toKithError(err: unknown): KithError {
  if (err instanceof KithError) return err;
  // Was INTERNAL ("Something went wrong"), which said nothing a person could act on (chaos suite).
  if (isDiskFull(err)) return new KithError('DISK_FULL', undefined, { cause: err });
  const e = err as FastifyLikeError;
  if (Array.isArray(e?.validation)) return new KithError('INVALID_INPUT', `${sentence(e.message)}`);
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return new KithError('CODEC_OVERSIZE', 'The request body is too large.');
  if (status >= 400 && status < 500) return new KithError('INVALID_INPUT', sentence(e.message));
  return new KithError('INTERNAL', undefined, { cause: err });
}

/**
 * What fastify's router answers by itself (a path parameter over its length limit, a path that
 * is not valid percent-encoding) in the API's error shape: without it those answers carried
 * fastify's own codes (FST_ERR_MAX_PARAM_LENGTH, 414), outside the catalogue.
 */
export function answerFrameworkError(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const kithError = toKithError(err);
  reply.status(kithError.status).send({ error: kithError.toJSON() });
}

export function installErrorHandling(app: ApiServer): void {
  app.setErrorHandler((err, request, reply) => {
    const kithError = toKithError(err);
    // A bug (INTERNAL) or a failure of this node: the error with its stack goes to the log (values
    // of a failed query never do: db/query-error.ts); the answer carries the catalogue's sentence.
    if (kithError.status >= 500) request.log.error({ err, code: kithError.code }, 'request failed');
    if (kithError.code === 'API_UNAUTHORIZED') reply.header('www-authenticate', 'Bearer realm="kith"');
    return reply.status(kithError.status).send({ error: kithError.toJSON() });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const error = new KithError('NOT_FOUND', `No route ${request.method} ${path}.`);
    return reply.status(error.status).send({ error: error.toJSON() });
  });
}

function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
