import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { CryptoBackend, RandomSource } from '@kith/core/crypto/index';
import { concatBytes, constantTimeEqual, toHex } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { decodeFrame, FRAME_KIND } from '@kith/core/noise/link-frame';
import { answerLinkHello, readLinkHello } from '@kith/core/noise/link-handshake';
import { decodeLinkHello, type LinkMode, linkHelloLength } from '@kith/core/noise/link-hello';
import type { NoiseKeyPair } from '@kith/core/noise/dh25519';
import { mac1Key } from '@kith/core/noise/mac1';
import { NoiseTransport } from '@kith/core/noise/transport';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Clock } from '../components.ts';
import { decodeBase64UrlStrict } from './base64url.ts';
import { Link } from './link.ts';
import {
  HELLO_HEADER,
  LINK_PATH,
  type LinkLimits,
  type LinkLogger,
  resolveLinkLimits,
  silentLinkLogger,
} from './options.ts';
import type { LinkRegistry } from './registry.ts';
import { ReplayGuard } from './replay-guard.ts';
import { clearConnectionDeadline, clearHeaderDeadline, silenceHttpServer } from './silent-server.ts';
import { NOISE_MAX_MESSAGE } from '@kith/core/noise/handshake-state';

/** What the responder learns before deciding to answer an initiator. */
export interface InitiatorInfo {
  staticKey: Uint8Array;
  mode: LinkMode;
  /** Present in IKpsk2 mode (a first contact from an invite). */
  inviteId: Uint8Array | undefined;
  remoteAddress: string | undefined;
}

export interface LinkListenerOptions {
  staticKeyPair: NoiseKeyPair;
  /**
   * Further static keys answered on the same port, asked at each connection (an unlocked device
   * with relay keys also answers its device key: docs/SECURITY.md "Locked relay mode"). The
   * initiator's mac1 says which key it dialled.
   */
  extraStaticKeyPairs?: () => readonly NoiseKeyPair[];
  /**
   * Whether this initiator may link (a friend's device that is not revoked, or the holder of
   * the invite). False or a throw: silence. Called after message 1 decrypts and its
   * timestamp checks out. In IKpsk2 mode the initiator proves the psk only with its CONFIRM
   * frame, so one-time invites should be consumed from `onLink`, not here.
   */
  authorizeInitiator: (initiator: InitiatorInfo) => Promise<boolean>;
  /** The pre-shared key of an open invite, by its 16-byte id; undefined: silence. */
  lookupPsk?: (inviteId: Uint8Array) => Promise<Uint8Array | undefined>;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  clock?: Clock;
  random?: RandomSource;
  logger?: LinkLogger;
  limits?: Partial<LinkLimits>;
  /** One link per peer across inbound and outbound links (share it with connectLink). */
  registry?: LinkRegistry;
  /**
   * Timestamps accepted so far; share one across listener restarts, and give it a store
   * (replayFile) so they outlive the process.
   */
  replayGuard?: ReplayGuard;
  backend?: CryptoBackend;
}

export interface LinkListener {
  readonly host: string;
  readonly port: number;
  /** `ws://host:port` (give it to connectLink). */
  readonly url: string;
  /** Whether the port takes connections now (false between `pause` and `resume`). */
  readonly listening: boolean;
  /**
   * Stops listening (port windows, docs/PROTOCOL.md "Port windows"): new connections are refused
   * by the operating system; handshakes in progress finish and established links stay up.
   */
  pause(): Promise<void>;
  /** Listens again on the same address and port; throws ADDRESS_IN_USE if another took it. */
  resume(): Promise<void>;
  /**
   * Answers a TCP connection this node did not accept on its port (the responder's end of a hole
   * punch, peer/hole-punch.ts) exactly as the port would: silence unless a friend's hello. The
   * link, if one comes, reaches `onLink` marked punched; works while the port is paused.
   */
  adopt(socket: Socket): void;
  /** Stops accepting and drops handshakes in progress; established links stay up. */
  close(): Promise<void>;
}

const KEY_REGEX = /^[+/0-9A-Za-z]{22}==$/;

/**
 * Listens on the peer port (docs/DESIGN.md §6). Anything that is not a WebSocket upgrade carrying a
 * valid hello from an authorised initiator is dropped without a single byte in reply. An
 * accepted link is handed to `onLink` once the initiator's CONFIRM frame has arrived (and, with
 * a registry, only if it wins the one-link-per-pair tie-break).
 */
export async function createLinkListener(
  options: LinkListenerOptions,
  onLink: (link: Link) => void,
): Promise<LinkListener> {
  const limits = resolveLinkLimits(options.limits);
  const clock = options.clock ?? Date.now;
  const random: RandomSource = options.random ?? ((n) => new Uint8Array(randomBytes(n)));
  const logger = options.logger ?? silentLinkLogger;
  const guard = options.replayGuard ?? new ReplayGuard();
  await guard.ready();
  const macKey = mac1Key(options.staticKeyPair.publicKey);
  const maxHello = linkHelloLength('IKpsk2');

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: NOISE_MAX_MESSAGE,
    perMessageDeflate: false,
    clientTracking: false,
    skipUTF8Validation: true,
  });
  const pending = new Set<Socket>();
  let accepting = true;

  const onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer, punched = false) => {
    clearHeaderDeadline(socket);
    if (!accepting || pending.size >= limits.maxPendingHandshakes) {
      // Every drop says why at debug level (an unanswered hello once had no line to find).
      logger.debug(
        {
          remoteAddress: socket.remoteAddress,
          why: accepting ? 'handshakes at the cap' : 'closing',
          pending: pending.size,
        },
        'peer port: dropped a connection in silence',
      );
      socket.destroy();
      return;
    }
    pending.add(socket);
    const confirmed = () => {
      clearConnectionDeadline(socket);
      pending.delete(socket);
    };
    socket.once('close', () => pending.delete(socket));
    void accept(req, socket, head, confirmed, punched).then(
      (ok) => {
        if (!ok) socket.destroy();
      },
      (err: unknown) => {
        logger.warn(
          { err, remoteAddress: socket.remoteAddress },
          'peer port: checking a hello failed; dropped in silence',
        );
        socket.destroy();
      },
    );
  };

  /** Returns false to drop the socket in silence; true once the WebSocket has taken it. */
  async function accept(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    confirmed: () => void,
    punched: boolean,
  ): Promise<boolean> {
    // An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d; report the IPv4 form.
    const remoteAddress = socket.remoteAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
    const started = performance.now();
    // ms: since the upgrade request arrived (a drop after an await shows what it waited for).
    const drop = (why: string, extra: Record<string, number> = {}): false => {
      const ms = Math.round(performance.now() - started);
      logger.debug({ remoteAddress, why, ms, ...extra }, 'peer port: dropped a connection in silence');
      return false;
    };
    const h = req.headers;
    if (req.method !== 'GET' || req.url !== LINK_PATH) return drop('not the link path');
    if (h.upgrade?.toLowerCase() !== 'websocket' || h['sec-websocket-version'] !== '13') {
      return drop('not a WebSocket upgrade');
    }
    if (typeof h['sec-websocket-key'] !== 'string' || !KEY_REGEX.test(h['sec-websocket-key'])) {
      return drop('bad WebSocket key');
    }
    if (h['sec-websocket-protocol'] !== undefined) return drop('unexpected subprotocol');
    const helloText = h[HELLO_HEADER];
    const helloBytes = typeof helloText === 'string' ? decodeBase64UrlStrict(helloText, maxHello) : undefined;
    let hello = helloBytes && decodeLinkHello(helloBytes, macKey);
    let own = options.staticKeyPair;
    for (const extra of hello || !helloBytes ? [] : (options.extraStaticKeyPairs?.() ?? [])) {
      hello = decodeLinkHello(helloBytes!, mac1Key(extra.publicKey));
      own = extra;
      if (hello) break;
    }
    if (!hello) return drop('no hello or bad mac1');
    const ownPublic = own.publicKey;

    let psk: Uint8Array | undefined;
    let lookupMs = 0;
    if (hello.mode === 'IKpsk2') {
      const looking = performance.now();
      psk = options.lookupPsk ? await options.lookupPsk(hello.inviteId!) : undefined;
      lookupMs = Math.round(performance.now() - looking);
      if (psk === undefined) return drop('unknown invite', { lookupMs });
    }
    // Its handshake deadline (silent-server.ts) or the initiator closed it while we waited.
    if (socket.destroyed) return drop('closed while the invite was looked up', { lookupMs });
    let received: ReturnType<typeof readLinkHello>;
    try {
      received = readLinkHello(hello, {
        staticKeyPair: own,
        random,
        ...(psk ? { psk } : {}),
        ...(options.backend ? { backend: options.backend } : {}),
      });
    } catch {
      return drop('message 1 does not decrypt');
    }
    const initiatorKey = received.initiatorStaticKey;
    if (constantTimeEqual(initiatorKey, ownPublic)) return drop('own key');
    if (!guard.isFresh(received.timestampNanos, clock(), limits.timestampWindowMs))
      return drop('stale timestamp');
    // An invite's hellos are ordered on their own (key + invite id): a regular hello of the same
    // key that overtook an invite hello while its secret was looked up must not make the invite
    // hello look replayed (the acceptor then heard nothing instead of INVITE_USED).
    const replayKey =
      hello.mode === 'IKpsk2' && hello.inviteId ? concatBytes(initiatorKey, hello.inviteId) : initiatorKey;
    if (!guard.isNewer(replayKey, received.timestampNanos)) return drop('replayed timestamp');
    let authorized = false;
    try {
      authorized = await options.authorizeInitiator({
        staticKey: initiatorKey.slice(),
        mode: hello.mode,
        inviteId: hello.inviteId,
        remoteAddress,
      });
    } catch (err) {
      logger.warn({ err }, 'peer port: authorizeInitiator failed; treating as refused');
    }
    if (authorized !== true) return drop('initiator not authorised');
    // Re-checked after the await: two copies of one hello racing through must not both pass.
    if (!guard.accept(replayKey, received.timestampNanos)) return drop('replayed timestamp');
    // Kept before message 2 leaves, so a restart right after cannot answer this hello again.
    // A store that cannot write (a full disk) or is slow (a loaded disk: past replaySaveWaitMs)
    // does not stop links: the replayer of a hello gets message 2 at most, never a link
    // (docs/SECURITY.md "Replays").
    const keeping = performance.now();
    const saved = guard.persist(clock(), limits.timestampWindowMs).then(
      () => true,
      (err: unknown) => {
        logger.warn({ err }, 'peer port: the replay guard could not be saved');
        return true;
      },
    );
    let waited: ReturnType<typeof setTimeout> | undefined;
    const inTime = await Promise.race([
      saved,
      new Promise<false>((resolve) => {
        waited = setTimeout(() => resolve(false), limits.replaySaveWaitMs);
      }),
    ]);
    clearTimeout(waited);
    const keepMs = Math.round(performance.now() - keeping);
    if (!inTime) {
      logger.debug(
        { remoteAddress, keepMs },
        "peer port: the replay guard's save is slow; answering without it",
      );
    }
    if (socket.destroyed) return drop('closed while the hello was kept', { lookupMs, keepMs });
    if (!accepting) return drop('closing');

    logger.debug(
      { remoteAddress, mode: hello.mode, ms: Math.round(performance.now() - started), lookupMs, keepMs },
      'peer port: answering a hello',
    );
    const answer = answerLinkHello(received.handshake);
    const transport = new NoiseTransport(answer.ciphers, limits.rekeyInterval);
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('error', () => ws.terminate());
      ws.send(answer.message2, { binary: true });
      ws.once('message', (data, isBinary) => {
        let ok = false;
        try {
          const bytes = isBinary && Buffer.isBuffer(data) ? new Uint8Array(data) : undefined;
          ok = bytes !== undefined && decodeFrame(transport.decrypt(bytes))?.kind === FRAME_KIND.CONFIRM;
        } catch {
          ok = false;
        }
        if (!ok || !accepting) {
          logger.debug({ remoteAddress }, 'peer port: no valid CONFIRM; link dropped');
          ws.terminate();
          return;
        }
        confirmed();
        const link = new Link({
          ws,
          transport,
          initiator: false,
          localStaticKey: ownPublic,
          remoteStaticKey: initiatorKey,
          handshakeHash: answer.handshakeHash,
          mode: hello.mode,
          inviteId: hello.inviteId,
          remoteAddress,
          remotePort: socket.remotePort,
          limits,
          logger,
          punched,
        });
        logger.info({ peer: toHex(initiatorKey).slice(0, 16), mode: hello.mode }, 'link accepted');
        // An invite's link is a one-off for pairing, never "the" link of a device pair: kept out
        // of the registry, so it neither closes nor is closed by a link the same device already
        // has with us (a reused invite then said PAIRING_FAILED instead of INVITE_USED).
        const kept = options.registry && hello.mode !== 'IKpsk2' ? options.registry.add(link) : link;
        if (kept === link) onLink(link);
      });
    });
    return true;
  }

  /** A fresh server each time the port opens: a closed one keeps its upgraded links. */
  const listen = async (port: number): Promise<Server> => {
    const server: Server = createServer();
    silenceHttpServer(server, limits, random, logger);
    server.on('upgrade', onUpgrade);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL'
            ? new KithError(
                err.code === 'EADDRINUSE' ? 'ADDRESS_IN_USE' : 'CONFIG_INVALID',
                `The peer port could not listen on ${options.host ?? '127.0.0.1'}:${port} (${err.code}); set another with --peer-port or KITH_PEER_PORT.`,
                { cause: err },
              )
            : err,
        ),
      );
      server.listen(port, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server;
  };
  let server: Server | undefined = await listen(options.port ?? 0);
  const address = server.address() as AddressInfo;
  const host = address.address;
  const url = `ws://${address.family === 'IPv6' ? `[${host}]` : host}:${address.port}`;
  let opening: Promise<void> | undefined;
  return {
    host,
    port: address.port,
    url,
    get listening() {
      return server?.listening === true;
    },
    async pause() {
      await opening;
      // Not waiting for the server's 'close': upgraded sockets (established links) stay up.
      if (server?.listening) server.close();
      server = undefined;
    },
    async resume() {
      if (!accepting) return;
      await opening;
      if (server) return;
      opening = listen(address.port).then((s) => {
        if (accepting) server = s;
        else s.close();
      });
      try {
        await opening;
      } finally {
        opening = undefined;
      }
    },
    adopt(socket: Socket) {
      if (!accepting) {
        socket.destroy();
        return;
      }
      // A server of its own that never listens: it parses the one request this socket carries.
      const server = createServer();
      silenceHttpServer(server, limits, random, logger);
      server.on('upgrade', (req: IncomingMessage, s: Socket, head: Buffer) => onUpgrade(req, s, head, true));
      server.emit('connection', socket);
    },
    async close() {
      accepting = false;
      await opening?.catch(() => {});
      for (const socket of pending) socket.destroy();
      // Not waiting for the server's 'close': upgraded sockets (established links) stay up.
      if (server?.listening) server.close();
      server = undefined;
    },
  };
}
