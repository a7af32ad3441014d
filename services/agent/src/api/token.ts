import { createHash } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RandomSource } from '@kith/core/crypto/index';
import { constantTimeEqual } from '@kith/core/crypto/index';
import type { Logger } from '../logger.ts';

/** The local API's bearer token lives here, 0600, made at first start (docs/API.md). */
export const API_TOKEN_FILE = 'api-token';

/** Reads DATA/api-token, creating it (32 random bytes, base64url) when absent. */
export async function loadOrCreateApiToken(
  dataDir: string,
  random: RandomSource,
  logger?: Logger,
): Promise<string> {
  const path = join(dataDir, API_TOKEN_FILE);
  const fresh = Buffer.from(random(32)).toString('base64url');
  try {
    await writeFile(path, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
    return fresh;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const mode = (await stat(path)).mode & 0o777;
  if (mode !== 0o600) {
    await chmod(path, 0o600);
    logger?.warn({ path, mode: mode.toString(8) }, 'the API token file was readable by others; made it 0600');
  }
  const token = (await readFile(path, 'utf8')).trim();
  if (token.length < 32) {
    // Too short to be ours: replace it rather than accept a guessable token.
    await writeFile(path, `${fresh}\n`, { mode: 0o600 });
    logger?.warn({ path }, 'the API token file held no usable token; wrote a new one');
    return fresh;
  }
  return token;
}

const digest = (s: string) => new Uint8Array(createHash('sha256').update(s, 'utf8').digest());

/**
 * A constant-time check of a given token against `token`; hashing first makes the lengths
 * equal, so not even length leaks. The token's digest is made once (every request is checked).
 */
export function tokenMatcher(token: string): (given: string | undefined) => boolean {
  const expected = digest(token);
  return (given) => given !== undefined && constantTimeEqual(digest(given), expected);
}
