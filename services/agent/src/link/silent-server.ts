import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Makes a node http server answer nothing by itself (DESIGN §6: strangers get silence). Node
 * writes on its own in several places: 400 on a parse error (clientError), 408 on timeouts,
 * 100 Continue / 417 for Expect headers, and the 'request' path for any plain request. Each
 * of these is replaced by destroying the socket. Only the 'upgrade' handler may ever answer.
 */
export function silenceHttpServer(server: Server, idleTimeoutMs: number): void {
  server.on('connection', (socket: Socket) => {
    socket.on('error', () => undefined);
    // Until the link's own handshake timer takes over, any idle socket is dropped.
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());
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
  server.headersTimeout = idleTimeoutMs;
  server.requestTimeout = idleTimeoutMs;
  server.keepAliveTimeout = 0;
}
