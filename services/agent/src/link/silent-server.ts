import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Makes a node http server answer nothing by itself (DESIGN §6: strangers get silence). Node
 * writes on its own in several places: 400 on a parse error (clientError), 408 on timeouts,
 * 100 Continue / 417 for Expect headers, and the 'request' path for any plain request. Each
 * of these is replaced by destroying the socket. Only the 'upgrade' handler may ever answer.
 */
export function silenceHttpServer(server: Server, deadlineMs: number): void {
  server.on('connection', (socket: Socket) => {
    socket.on('error', () => undefined);
    // A hard deadline from TCP connect (not an idle timer, which a slow sender could keep
    // alive); the link clears it once the peer has confirmed the handshake.
    const deadline = setTimeout(() => socket.destroy(), deadlineMs);
    deadlines.set(socket, deadline);
    socket.once('close', () => clearTimeout(deadline));
  });
  server.on('request', (req) => req.socket.destroy());
  server.on('clientError', (_err, socket) => socket.destroy());
  server.on('checkContinue', (req) => req.socket.destroy());
  server.on('checkExpectation', (req) => req.socket.destroy());
  server.on('connect', (_req, socket: Socket) => socket.destroy());
  server.on('dropRequest', (req, socket: Socket) => {
    req.socket.destroy();
    socket.destroy();
  });
  server.headersTimeout = deadlineMs;
  server.requestTimeout = deadlineMs;
  server.keepAliveTimeout = 0;
}

const deadlines = new WeakMap<Socket, ReturnType<typeof setTimeout>>();

/** Lifts the connect-time deadline of an authenticated connection. */
export function clearConnectionDeadline(socket: Socket): void {
  clearTimeout(deadlines.get(socket));
  deadlines.delete(socket);
}
