/**
 * The TCP half of hole punching (docs/PROTOCOL.md "Hole punching"): both devices dial each other
 * from a fixed local port at the same moment. Each side's outgoing SYN opens its own NAT for the
 * other's, and the SYNs that cross make one connection (TCP simultaneous open). A SYN that
 * reaches a NAT before that NAT's own has left is dropped, or refused with a reset: the dial is
 * made again from the same port until the deadline.
 */
import { type Socket, connect, createServer } from 'node:net';
import { KithError } from '@kith/core/errors';

/** A local port free now, to dial from (the kernel picks it; released at once). */
export function freeLocalPort(host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host ?? '0.0.0.0', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface SimultaneousOpenOptions {
  host: string;
  port: number;
  localPort: number;
  localAddress?: string;
  /** Give up at this time on `clock`. */
  deadline: number;
  clock: () => number;
  /** Wait after a refused dial before the next. */
  retryMs?: number;
}

/** Resolves with the connected socket, or rejects with PUNCH_FAILED at the deadline. */
export function simultaneousOpen(o: SimultaneousOpenOptions): Promise<Socket> {
  const retryMs = o.retryMs ?? 200;
  return new Promise<Socket>((resolve, reject) => {
    let current: Socket | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const finish = (socket?: Socket) => {
      if (done) return;
      done = true;
      clearTimeout(overall);
      clearTimeout(retry);
      if (socket) resolve(socket);
      else {
        current?.destroy();
        reject(new KithError('PUNCH_FAILED'));
      }
    };
    const overall = setTimeout(() => finish(), Math.max(0, o.deadline - o.clock()));
    const attempt = () => {
      if (done) return;
      const socket = connect({
        host: o.host,
        port: o.port,
        localPort: o.localPort,
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
      });
      current = socket;
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        finish(socket);
      });
      socket.once('error', () => {
        socket.destroy();
        if (done) return;
        if (o.clock() + retryMs >= o.deadline) finish();
        else retry = setTimeout(attempt, retryMs);
      });
    };
    attempt();
  });
}
