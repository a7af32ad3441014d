/**
 * How the web part reaches its agent: the agent's local API over HTTP with the agent's token.
 * In `kith up` both are handed in; `kith web` alone reads them from the data dir (api.json,
 * api-token), re-reading after a failure so an agent restart on another port is followed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KithError } from '@kith/core/errors';

export interface AgentEndpoint {
  url: string;
  token: string;
}

export interface AgentLink {
  endpoint(): Promise<AgentEndpoint>;
  /** Forget a cached endpoint (after a connection failure). */
  reset(): void;
}

export function fixedAgent(endpoint: AgentEndpoint): AgentLink {
  return { endpoint: async () => endpoint, reset() {} };
}

export function agentFromDataDir(dataDir: string, tokenFile?: string): AgentLink {
  let cached: AgentEndpoint | undefined;
  return {
    async endpoint() {
      if (cached) return cached;
      try {
        const { url } = JSON.parse(await readFile(join(dataDir, 'api.json'), 'utf8')) as { url: string };
        const token = (await readFile(tokenFile ?? join(dataDir, 'api-token'), 'utf8')).trim();
        cached = { url, token };
        return cached;
      } catch (cause) {
        throw new KithError('AGENT_NOT_RUNNING', undefined, { cause });
      }
    },
    reset() {
      cached = undefined;
    },
  };
}

/** One call to the agent as the web part (its token); throws the agent's KithError code as is. */
export async function agentCall<T>(
  link: AgentLink,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const { url, token } = await link.endpoint();
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (cause) {
    link.reset();
    throw new KithError('AGENT_NOT_RUNNING', undefined, { cause });
  }
  const json = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (!response.ok) throw new AgentAnswer(response.status, json);
  return json as T;
}

/**
 * A call whose answer is bytes (the backup): the agent's 2xx response as it streams, with no
 * time limit (a large database takes a while); an error answer throws as `agentCall` does.
 */
export async function agentStream(
  link: AgentLink,
  method: string,
  path: string,
  body: unknown,
): Promise<Response> {
  const { url, token } = await link.endpoint();
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (cause) {
    link.reset();
    throw new KithError('AGENT_NOT_RUNNING', undefined, { cause });
  }
  if (!response.ok) throw new AgentAnswer(response.status, await response.json().catch(() => ({})));
  return response;
}

/**
 * A call whose body is bytes (a backup to restore): `body` streamed to the agent as it arrives
 * with the given headers, no time limit; the JSON answer as `agentCall` gives it.
 */
export async function agentUpload<T>(
  link: AgentLink,
  path: string,
  body: ReadableStream<Uint8Array>,
  headers: Record<string, string>,
): Promise<T> {
  const { url, token } = await link.endpoint();
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit);
  } catch (cause) {
    link.reset();
    throw new KithError('AGENT_NOT_RUNNING', undefined, { cause });
  }
  const json = (await response.json().catch(() => ({}))) as unknown;
  if (!response.ok) throw new AgentAnswer(response.status, json);
  return json as T;
}

/** An agent's error answer, passed on to the browser as it came. */
export class AgentAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`agent answered ${status}`);
  }
  get code(): string | undefined {
    return (this.body as { error?: { code?: string } }).error?.code;
  }
}
