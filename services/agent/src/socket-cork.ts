import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

const corked = new WeakSet<object>();

/**
 * Holds a WebSocket's frames in its TCP socket until the current run of code ends, so the frames
 * sent in one go (a group commit's items on a link, a batch's events on the event stream) leave
 * in one write instead of a system call each (docs/ARCHITECTURE.md "Two `kith up` processes
 * through the API"). Nothing waits longer than the end of this tick; order is unchanged.
 * ws has no public cork, so its socket is reached by `_socket`; without one, nothing happens.
 */
export function corkUntilNextTick(ws: WebSocket): void {
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  if (!socket || corked.has(socket) || typeof socket.cork !== 'function') return;
  corked.add(socket);
  socket.cork();
  process.nextTick(() => {
    corked.delete(socket);
    socket.uncork();
  });
}
