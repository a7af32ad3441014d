/**
 * The consensus worker's agent over the local API (`kith consensus`, its own process): the
 * typed client of @kith/api for the conversation routes, the event stream for changes. The
 * endpoint (address and token) is found again whenever the agent does not answer (it may have
 * restarted on another port, or been reinstalled with a new token).
 */
import { type ApiClient, createApiClient, subscribeEvents } from '@kith/api';
import type { AgentEndpoint } from '@kith/api/locate-agent';
import { isKithError } from '@kith/core/errors';
import WebSocket from 'ws';
import { type AgentChange, type ConsensusAgent, changeOf } from './agent-port.ts';
import { realTimers, type Timers } from './timing.ts';
import type { WorkerLogger } from './worker.ts';

export type { AgentEndpoint } from '@kith/api/locate-agent';

export interface HttpAgentOptions {
  /** Where the agent is now (e.g. locateAgent(dataDir) from @kith/api/locate-agent). */
  locate: () => Promise<AgentEndpoint>;
  logger: WorkerLogger;
  timers?: Timers;
  /** Wait before re-opening the event stream (doubles up to 30 s). */
  reconnectMs?: number;
}

export function httpAgent(options: HttpAgentOptions): ConsensusAgent {
  const timers = options.timers ?? realTimers;
  const log = options.logger;
  let endpoint: { url: string; token: string; client: ApiClient } | undefined;

  async function current() {
    if (!endpoint) {
      const { url, token } = await options.locate();
      endpoint = { url, token, client: createApiClient({ baseUrl: url, token, timeoutMs: 30_000 }) };
    }
    return endpoint;
  }

  /** One call; a failure to reach the agent or a refused token makes the next call look it up again. */
  async function call<T>(run: (client: ApiClient) => Promise<T>): Promise<T> {
    const ep = await current();
    try {
      return await run(ep.client);
    } catch (err) {
      if (isKithError(err, 'AGENT_NOT_RUNNING') || isKithError(err, 'API_UNAUTHORIZED')) endpoint = undefined;
      throw err;
    }
  }

  return {
    async listOpen() {
      const list = await call((c) => c.conversations({ query: { status: 'open' } }));
      return list.map((c) => ({ id: c.id, deadline: c.deadline, createdHere: c.createdHere }));
    },
    evaluation: (id) => call((c) => c.evaluation({ params: { id } })),
    record: (id) => call((c) => c.recordOutcome({ params: { id } })),
    subscribe(listener: (change: AgentChange) => void) {
      let stream: { close(): void } | undefined;
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
        const mine = subscribeEvents({
          baseUrl: ep.url,
          token: ep.token,
          webSocket: (url, headers) => new WebSocket(url, { headers }),
          onEvent(event) {
            if (event.type === 'stream.ready') {
              wait = base;
              log.info({ api: ep.url }, 'consensus: connected to the agent');
            }
            const change = changeOf(event.type, event.data);
            if (change) listener(change);
          },
          onClose() {
            if (stream === mine) stream = undefined;
            if (closed) return;
            endpoint = undefined;
            log.debug({}, 'consensus: event stream closed; reconnecting');
            reconnect();
          },
        });
        stream = mine;
      };
      void open();
      return () => {
        closed = true;
        timers.clear(timer);
        stream?.close();
      };
    },
  };
}
