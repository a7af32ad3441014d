/**
 * A full disk, anywhere in an error's cause chain: the file system's ENOSPC, or the database's
 * disk_full (SQLSTATE 53100; PGlite: "could not extend file …: No space left on device"). The
 * local API answers it with DISK_FULL (api/errors.ts); a device that could not store a delivered
 * item tells the sender so, and the sender offers it again later (messaging/inbox.ts).
 */
export function isDiskFull(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    const { code, cause } = e as { code?: unknown; cause?: unknown };
    if (code === 'ENOSPC' || code === '53100') return true;
    e = cause;
  }
  return false;
}
