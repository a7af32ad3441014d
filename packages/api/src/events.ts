/**
 * The agent's event stream (GET /api/events, a WebSocket): one JSON frame per event, the first
 * `stream.ready`. One connection; the caller decides whether and when to open another.
 */
import type { Static } from 'typebox';
import type { AgentEvent as AgentEventSchema } from './schemas/agent.ts';
import { API_PREFIX } from './client.ts';

export type AgentEvent = Static<typeof AgentEventSchema>;

/** What the helper needs of a WebSocket: the browser's, or `ws` in Node. */
export interface WebSocketLike {
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(code?: number, reason?: string): void;
}

/** Opens a socket; `headers` is given when a token is (Node's `ws` can send it as a header). */
export type WebSocketFactory = (url: string, headers: Record<string, string>) => WebSocketLike;

export interface EventSubscriptionOptions {
  /** The agent's address, e.g. `http://127.0.0.1:7471`. */
  baseUrl: string;
  token?: string;
  /**
   * Default: the global WebSocket, which cannot send headers: a token then goes as `?token=`
   * (the route accepts it there); without a token the browser's cookies are sent.
   */
  webSocket?: WebSocketFactory;
  onEvent(event: AgentEvent): void;
  /** The stream ended (closed by either side, or never opened). Called once. */
  onClose?(): void;
}

export interface EventSubscription {
  close(): void;
}

export function subscribeEvents(options: EventSubscriptionOptions): EventSubscription {
  const url = `${options.baseUrl.replace(/\/+$/, '').replace(/^http/, 'ws')}${API_PREFIX}/events`;
  const headers: Record<string, string> =
    options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  let socket: WebSocketLike;
  if (options.webSocket) socket = options.webSocket(url, headers);
  else {
    const query = options.token === undefined ? '' : `?token=${encodeURIComponent(options.token)}`;
    socket = new (globalThis as unknown as { WebSocket: new (url: string) => WebSocketLike }).WebSocket(
      `${url}${query}`,
    );
  }
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    options.onClose?.();
  };
  socket.addEventListener('message', ({ data }) => {
    let event: unknown;
    try {
      event = JSON.parse(String(data));
    } catch {
      return;
    }
    const e = event as Partial<AgentEvent> | null;
    if (typeof e?.type !== 'string') return;
    options.onEvent({ type: e.type, at: typeof e.at === 'number' ? e.at : 0, data: e.data ?? {} });
  });
  socket.addEventListener('error', () => {}); // 'close' follows
  socket.addEventListener('close', end);
  return {
    close() {
      socket.close();
    },
  };
}
