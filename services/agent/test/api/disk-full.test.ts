import { KithError } from '@kith/core/errors';
import { describe, expect, it } from 'vitest';
import { toKithError } from '../../src/api/errors.ts';

/**
 * A full disk under a route (the chaos suite's relay): the answer names it and what to do,
 * instead of INTERNAL ("Something went wrong inside Kith").
 */
describe('a full disk in the local API', () => {
  it("the database's disk_full under an ORM error (PGlite: could not extend file) is DISK_FULL", () => {
    const pglite = Object.assign(new Error('could not extend file "base/5/16446": No space left on device'), {
      code: '53100',
    });
    const drizzle = new Error('Failed query: insert into "invites" …', { cause: pglite });
    const e = toKithError(drizzle);
    expect(e).toBeInstanceOf(KithError);
    expect(e.code).toBe('DISK_FULL');
    expect(e.status).toBe(507);
  });

  it("the file system's ENOSPC is DISK_FULL; other failures stay INTERNAL", () => {
    const fs = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(toKithError(fs).code).toBe('DISK_FULL');
    expect(toKithError(new Error('boom')).code).toBe('INTERNAL');
  });
});
