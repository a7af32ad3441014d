import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { RandomSource } from '@kith/core/crypto/index';
import { jitteredDeadline, type LinkLimits, type LinkLogger, silentLinkLogger } from './options.ts';

/**
 * Makes a node http server answer nothing by itself (docs/DESIGN.md §6: strangers get silence). Node
 * writes on its own in several places: 400 on a parse error (clientError), 408 on timeouts,
 * 100 Continue / 417 for Expect headers, and the 'request' path for any plain request. Each
 * of these is replaced by destroying the socket. Only the 'upgrade' handler may ever answer.
 *
 * It also bounds what strangers can hold (docs/SECURITY.md "Strangers"): connections not yet
 * confirmed as links are capped in all and per source address, each must deliver its upgrade
 * request within a short deadline and confirm within a longer one, both drawn at random per
 * connection. Past a cap a connection is closed at once, in silence.
 */
export function silenceHttpServer(
  server: Server,
  limits: Pick<
    LinkLimits,
    'handshakeTimeoutMs' | 'headerTimeoutMs' | 'maxUnconfirmed' | 'maxUnconfirmedPerSource'
  >,
  random: RandomSource,
  logger: LinkLogger = silentLinkLogger,
): void {
  // Each close says why at debug level, never with key material (an unanswered hello once had no line).
  const drop = (socket: Socket, why: string) => {
    logger.debug({ remoteAddress: socket.remoteAddress, why }, 'peer port: dropped a connection in silence');
    socket.destroy();
  };
  let unconfirmed = 0;
  const perSource = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    socket.on('error', () => undefined);
    const source = socket.remoteAddress ?? '';
    const fromSource = perSource.get(source) ?? 0;
    if (unconfirmed >= limits.maxUnconfirmed || fromSource >= limits.maxUnconfirmedPerSource) {
      drop(
        socket,
        unconfirmed >= limits.maxUnconfirmed
          ? 'unconfirmed at the cap'
          : 'unconfirmed from this source at the cap',
      );
      return;
    }
    unconfirmed += 1;
    perSource.set(source, fromSource + 1);
    // Hard deadlines from TCP connect (not idle timers, which a slow sender could keep alive);
    // the upgrade lifts the first, the link lifts the second once the peer has confirmed.
    const header = setTimeout(
      () => drop(socket, 'no upgrade request in time'),
      jitteredDeadline(limits.headerTimeoutMs, random),
    );
    const deadline = setTimeout(
      () => drop(socket, 'handshake deadline passed'),
      jitteredDeadline(limits.handshakeTimeoutMs, random),
    );
    const release = () => {
      if (!tracked.delete(socket)) return;
      clearTimeout(header);
      clearTimeout(deadline);
      unconfirmed -= 1;
      const n = (perSource.get(source) ?? 1) - 1;
      if (n > 0) perSource.set(source, n);
      else perSource.delete(source);
    };
    tracked.set(socket, { header, release });
    socket.once('close', release);
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
  // Node's own timers are a backstop only: the deadlines above act first.
  server.headersTimeout = 2 * limits.handshakeTimeoutMs;
  server.requestTimeout = 2 * limits.handshakeTimeoutMs;
  server.keepAliveTimeout = 0;
}

const tracked = new WeakMap<Socket, { header: ReturnType<typeof setTimeout>; release: () => void }>();

/** The upgrade request has arrived: lifts the header deadline (the handshake's stays). */
export function clearHeaderDeadline(socket: Socket): void {
  const t = tracked.get(socket);
  if (t) clearTimeout(t.header);
}

/** Lifts the connect-time deadlines of an authenticated connection; it no longer counts as unconfirmed. */
export function clearConnectionDeadline(socket: Socket): void {
  tracked.get(socket)?.release();
}
