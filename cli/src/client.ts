/**
 * Talks to the running agent of a data dir through its local API: the URL from DATA/api.json
 * (written by the agent at start), the bearer token from DATA/api-token (0600).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ErrorCode, ERROR_CATALOGUE, KithError } from '@kith/core/errors';

export interface AgentClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  /** POSTs JSON and returns the raw response of a 2xx (a stream: `kith backup`). */
  postForStream(path: string, body: unknown): Promise<Response>;
  readonly url: string;
}

export async function connectAgent(dataDir: string): Promise<AgentClient> {
  let url: string;
  let token: string;
  try {
    url = (JSON.parse(await readFile(join(dataDir, 'api.json'), 'utf8')) as { url: string }).url;
    token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
  } catch {
    throw new KithError('AGENT_NOT_RUNNING');
  }
  async function call<T>(method: string, path: string, body?: unknown, raw = false): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${url}/api${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        ...(raw ? {} : { signal: AbortSignal.timeout(60_000) }),
      });
    } catch (cause) {
      throw new KithError('AGENT_NOT_RUNNING', undefined, { cause });
    }
    if (raw && response.ok) return response as T;
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new KithError('INTERNAL', `The agent answered ${response.status} with no JSON.`);
    }
    if (!response.ok) {
      const err = (json as { error?: { code?: string; message?: string } }).error;
      const code = err?.code && err.code in ERROR_CATALOGUE ? (err.code as ErrorCode) : 'INTERNAL';
      const e = new KithError(code);
      // Keep the agent's exact sentence (it may carry a detail).
      Object.defineProperty(e, 'message', { value: err?.message ?? e.message });
      throw e;
    }
    return json as T;
  }
  return {
    url,
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    postForStream: (path, body) => call<Response>('POST', path, body, true),
  };
}
