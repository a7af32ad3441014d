/**
 * The consensus worker's agent over the local API (`kith consensus`, DESIGN §3): the URL from
 * DATA/api.json, the bearer token from DATA/api-token (docs/API.md "Finding the running
 * agent"), conversation routes over HTTP, changes from the WebSocket event stream. Both are
 * found again whenever the agent does not answer (it may have restarted on another port).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ErrorCode, ERROR_CATALOGUE, KithError } from '@kith/core/errors';
import WebSocket from 'ws';
import type {
  AgentChange,
  ConsensusAgent,
  ConversationEvaluation,
  OpenConversation,
  RecordedOutcome,
} from './agent-port.ts';
import { changeOf } from './local-agent.ts';
import { realTimers, type Timers } from './timing.ts';
import type { WorkerLogger } from './worker.ts';

export interface AgentEndpoint {
  /** `http://127.0.0.1:7471` */
  url: string;
  token: string;
}

/** Reads DATA/api.json and DATA/api-token; AGENT_NOT_RUNNING when either is missing. */
export async function locateAgent(dataDir: string): Promise<AgentEndpoint> {
  try {
    const { url } = JSON.parse(await readFile(join(dataDir, 'api.json'), 'utf8')) as { url: string };
    const token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
    if (typeof url !== 'string' || token === '') throw new Error('incomplete');
    return { url, token };
  } catch {
    throw new KithError('AGENT_NOT_RUNNING', `Nothing found in ${dataDir} (api.json, api-token).`);
  }
}

export interface HttpAgentOptions {
  locate: () => Promise<AgentEndpoint>;
  logger: WorkerLogger;
  timers?: Timers;
  /** Wait before re-opening the event stream (doubles up to 30 s). */
  reconnectMs?: number;
}

export function httpAgent(options: HttpAgentOptions): ConsensusAgent {
  const timers = options.timers ?? realTimers;
  const log = options.logger;
  let endpoint: AgentEndpoint | undefined;

  async function current(): Promise<AgentEndpoint> {
    endpoint ??= await options.locate();
    return endpoint;
  }

  async function call<T>(method: 'GET' | 'POST', path: string): Promise<T> {
    const { url, token } = await current();
    let response: Response;
    try {
      response = await fetch(`${url}/api${path}`, {
        method,
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(30_000),
      });
    } catch (cause) {
      endpoint = undefined;
      throw new KithError('AGENT_NOT_RUNNING', undefined, { cause });
    }
    const json = (await response.json().catch(() => null)) as unknown;
    if (!response.ok) {
      if (response.status === 401) endpoint = undefined; // a new token after a reinstall
      const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
      const code = err?.code && err.code in ERROR_CATALOGUE ? (err.code as ErrorCode) : 'INTERNAL';
      throw new KithError(code, err?.message);
    }
    return json as T;
  }

  return {
    async listOpen() {
      const list = await call<OpenConversation[]>('GET', '/conversations?status=open');
      return list.map((c) => ({ id: c.id, deadline: c.deadline, createdHere: c.createdHere }));
    },
    evaluation: (id) =>
      call<ConversationEvaluation>('GET', `/conversations/${encodeURIComponent(id)}/evaluation`),
    record: (id) => call<RecordedOutcome>('POST', `/conversations/${encodeURIComponent(id)}/outcome`),
    subscribe(listener: (change: AgentChange) => void) {
      let socket: WebSocket | undefined;
      let timer: unknown;
      let closed = false;
      const base = options.reconnectMs ?? 1000;
      let wait = base;
      const reconnect = () => {
        if (closed) return;
        timer = timers.set(() => void open(), wait);
        wait = Math.min(wait * 2, 30_000);
      };
      const open = async () => {
        if (closed) return;
        let ep: AgentEndpoint;
        try {
          ep = await current();
        } catch {
          return reconnect();
        }
        const ws = new WebSocket(`${ep.url.replace(/^http/, 'ws')}/api/events`, {
          headers: { authorization: `Bearer ${ep.token}` },
        });
        socket = ws;
        ws.on('message', (data) => {
          let event: { type?: unknown; data?: unknown };
          try {
            event = JSON.parse(String(data)) as typeof event;
          } catch {
            return;
          }
          if (typeof event.type !== 'string') return;
          if (event.type === 'stream.ready') {
            wait = base;
            log.info({ api: ep.url }, 'consensus: connected to the agent');
          }
          const change = changeOf(event.type, (event.data ?? {}) as Record<string, unknown>);
          if (change) listener(change);
        });
        ws.on('error', () => {}); // 'close' follows
        ws.on('close', () => {
          if (socket === ws) socket = undefined;
          if (closed) return;
          endpoint = undefined;
          log.debug({}, 'consensus: event stream closed; reconnecting');
          reconnect();
        });
      };
      void open();
      return () => {
        closed = true;
        timers.clear(timer);
        socket?.close();
      };
    },
  };
}
