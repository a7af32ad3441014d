/**
 * The agent's event stream, through the web part (/api/events on this origin). One socket for
 * the page; screens subscribe to event types and reload what they show when one arrives (no
 * polling). A dropped socket is reopened with a growing delay, and every listener is told, so
 * nothing missed while it was down stays stale.
 */
import { useEffect, useRef } from 'preact/hooks';

export interface AgentEvent {
  type: string;
  at: number;
  data: Record<string, unknown>;
}

type Listener = (e: AgentEvent) => void;
const listeners = new Set<Listener>();
let socket: WebSocket | undefined;
let retryMs = 500;
let connected = false;
const connectionListeners = new Set<(up: boolean) => void>();

export function startEvents(): void {
  if (socket) return;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/events`;
  const s = new WebSocket(url);
  socket = s;
  s.onmessage = (m) => {
    const event = JSON.parse(String(m.data)) as AgentEvent;
    if (event.type === 'stream.ready') {
      retryMs = 500;
      setConnected(true);
    }
    for (const l of listeners) l(event);
  };
  s.onclose = () => {
    socket = undefined;
    setConnected(false);
    setTimeout(startEvents, retryMs);
    retryMs = Math.min(retryMs * 2, 15_000);
  };
}

function setConnected(up: boolean) {
  connected = up;
  for (const l of connectionListeners) l(up);
}

export function isConnected(): boolean {
  return connected;
}

export function onConnection(l: (up: boolean) => void): () => void {
  connectionListeners.add(l);
  return () => connectionListeners.delete(l);
}

/**
 * Calls `reload` when an event whose type starts with one of `prefixes` arrives (and when the
 * stream (re)connects: events may have been missed).
 */
export function useAgentEvents(prefixes: readonly string[], reload: (e: AgentEvent) => void): void {
  const ref = useRef(reload);
  ref.current = reload;
  const key = prefixes.join(',');
  useEffect(() => {
    const l: Listener = (e) => {
      if (e.type === 'stream.ready' || prefixes.some((p) => e.type.startsWith(p))) ref.current(e);
    };
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, [key]);
}
