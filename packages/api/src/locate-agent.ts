/**
 * Finding the running agent of a data directory (Node only; docs/API.md "Finding the running
 * agent"): its address from DATA/api.json (written by the agent once it listens), its bearer
 * token from DATA/api-token (0600). The CLI and the consensus worker both start here.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KithError } from '@kith/core/errors';
import { type ApiClient, type ApiClientOptions, createApiClient } from './client.ts';
import { httpTransport } from './http-transport.ts';

/** Written by the agent at start: `{ url, pid }`. */
export const API_INFO_FILE = 'api.json';
/** The local API's bearer token, 0600, made at the agent's first start. */
export const API_TOKEN_FILE = 'api-token';

export interface AgentEndpoint {
  /** `http://127.0.0.1:7471` */
  url: string;
  token: string;
}

/**
 * Reads DATA/api.json and DATA/api-token; DATA_DIR_MISSING when there is no such directory,
 * AGENT_NOT_RUNNING when either file is missing.
 */
export async function locateAgent(dataDir: string): Promise<AgentEndpoint> {
  const found = await stat(dataDir).catch(() => undefined);
  if (!found?.isDirectory())
    throw new KithError(
      'DATA_DIR_MISSING',
      `${dataDir} ${found ? 'is not a directory' : 'does not exist'}: check --data (or KITH_DATA).`,
    );
  try {
    const { url } = JSON.parse(await readFile(join(dataDir, API_INFO_FILE), 'utf8')) as { url: unknown };
    const token = (await readFile(join(dataDir, API_TOKEN_FILE), 'utf8')).trim();
    if (typeof url !== 'string' || token === '') throw new Error('incomplete');
    return { url, token };
  } catch {
    throw new KithError('AGENT_NOT_RUNNING');
  }
}

/** A client of the agent running for `dataDir`: JSON calls over `node:http` unless `fetch` is given. */
export async function connectAgent(
  dataDir: string,
  options: Omit<ApiClientOptions, 'baseUrl' | 'token'> = {},
): Promise<ApiClient> {
  const { url, token } = await locateAgent(dataDir);
  const transport = options.transport ?? (options.fetch ? undefined : httpTransport);
  return createApiClient({ ...options, baseUrl: url, token, ...(transport ? { transport } : {}) });
}
