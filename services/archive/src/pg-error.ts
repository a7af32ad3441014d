/**
 * The SQLSTATE of a database error, whichever driver raised it: drizzle wraps driver errors
 * ("Failed query: ...") and keeps the driver's error, which carries `code`, as `cause`.
 */
export function sqlState(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** The driver's own words for a database error (drizzle's message repeats the whole query). */
export function driverMessage(error: unknown): string {
  const inner = (error as { cause?: unknown })?.cause ?? error;
  return inner instanceof Error ? inner.message : String(inner);
}

export const FOREIGN_KEY_VIOLATION = '23503';
/** What an ON DELETE RESTRICT reference raises on some servers (PGlite) instead of 23503. */
export const RESTRICT_VIOLATION = '23001';
