import { queryErrorReason } from '@kith/db/query-error';

/**
 * The SQLSTATE of a database error, whichever driver raised it: a `QueryError` carries it as
 * `code` (db/query-error.ts); a raw driver error too, or as the `cause` of drizzle's wrapper.
 */
export function sqlState(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** The driver's own words for a database error, with the values it quotes masked. */
export function driverMessage(error: unknown): string {
  return queryErrorReason(error);
}

export const FOREIGN_KEY_VIOLATION = '23503';
/** What an ON DELETE RESTRICT reference raises on some servers (PGlite) instead of 23503. */
export const RESTRICT_VIOLATION = '23001';
