import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { CryptoBackend, RandomSource } from '@kith/core/crypto/index';
import { constantTimeEqual, toHex } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import type { NoiseKeyPair } from '@kith/core/noise/dh25519';
import { NOISE_MAX_MESSAGE } from '@kith/core/noise/handshake-state';
import { encodeFrame, FRAME_KIND } from '@kith/core/noise/link-frame';
import { createLinkHello, finishLinkHandshake } from '@kith/core/noise/link-handshake';
import { NoiseTransport } from '@kith/core/noise/transport';
import { WebSocket } from 'ws';
import type { Clock } from '../components.ts';
import { encodeBase64Url } from './base64url.ts';
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
import { type HelloTimestamps, processHelloTimestamps } from './replay-guard.ts';

export interface ConnectLinkOptions {
  /** The peer port, e.g. `ws://192.0.2.7:7470` (the link path is added). */
  url: string;
  staticKeyPair: NoiseKeyPair;
  /** The responder's static public key: who we expect to reach (Noise IK). */
  remoteStaticKey: Uint8Array;
  /** A first contact from an in-person invite: Noise IKpsk2 with the invite's id and secret. */
  invite?: { id: Uint8Array; psk: Uint8Array };
  clock?: Clock;
  random?: RandomSource;
  logger?: LinkLogger;
  limits?: Partial<LinkLimits>;
  /** With a registry, the returned link is the one kept for this peer (maybe an existing one). */
  registry?: LinkRegistry;
  /** Source of strictly growing hello timestamps; one per process by default. */
  timestamps?: HelloTimestamps;
  backend?: CryptoBackend;
  /** Source address for the connection (a node bound to one address dials from it too). */
  localAddress?: string;
  /**
   * A TCP connection already open to the peer (a hole punch's simultaneous open): the upgrade
   * goes over it instead of a new dial, and the link is marked punched.
   */
  socket?: Socket;
}

/**
 * Opens a link to a peer (docs/DESIGN.md §6): the hello rides in the upgrade request, message 2 comes
 * back as the first binary frame, and a CONFIRM frame completes it. Rejects with
 * LINK_CONNECT_FAILED (refused, silence, wrong peer key, bad message 2) or
 * LINK_HANDSHAKE_TIMEOUT.
 */
export function connectLink(options: ConnectLinkOptions): Promise<Link> {
  const limits = resolveLinkLimits(options.limits);
  const clock = options.clock ?? Date.now;
  const random: RandomSource = options.random ?? ((n) => new Uint8Array(randomBytes(n)));
  const logger = options.logger ?? silentLinkLogger;
  const ownPublic = options.staticKeyPair.publicKey;
  if (constantTimeEqual(options.remoteStaticKey, ownPublic)) {
    return Promise.reject(new KithError('INVALID_INPUT', 'A node does not link to itself.'));
  }
  const { hello, handshake } = createLinkHello({
    staticKeyPair: options.staticKeyPair,
    remoteStaticKey: options.remoteStaticKey,
    timestampNanos: (options.timestamps ?? processHelloTimestamps).next(clock()),
    random,
    ...(options.invite ? { invite: options.invite } : {}),
    ...(options.backend ? { backend: options.backend } : {}),
  });
  const url = new URL(LINK_PATH, options.url);
  const peer = toHex(options.remoteStaticKey).slice(0, 16);

  return new Promise<Link>((resolve, reject) => {
    let settled = false;
    let remoteAddress: string | undefined;
    let remotePort: number | undefined;
    const ws = new WebSocket(url, {
      headers: { [HELLO_HEADER]: encodeBase64Url(hello) },
      perMessageDeflate: false,
      maxPayload: NOISE_MAX_MESSAGE,
      followRedirects: false,
      skipUTF8Validation: true,
      handshakeTimeout: limits.handshakeTimeoutMs,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ...(options.socket ? { createConnection: () => options.socket! } : {}),
    });
    const fail = (error: KithError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      logger.debug({ peer, code: error.code }, 'link: connect failed');
      reject(error);
    };
    const timer = setTimeout(() => fail(new KithError('LINK_HANDSHAKE_TIMEOUT')), limits.handshakeTimeoutMs);
    ws.on('error', (cause) => fail(new KithError('LINK_CONNECT_FAILED', undefined, { cause })));
    ws.on('close', () => fail(new KithError('LINK_CONNECT_FAILED', 'The peer closed the connection.')));
    ws.on('unexpected-response', () =>
      fail(new KithError('LINK_CONNECT_FAILED', 'The peer did not upgrade.')),
    );
    ws.on('upgrade', (response) => {
      remoteAddress = response.socket.remoteAddress;
      remotePort = response.socket.remotePort;
    });
    ws.once('message', (data, isBinary) => {
      if (settled) return;
      let transport: NoiseTransport;
      let result: ReturnType<typeof finishLinkHandshake>;
      try {
        if (!isBinary || !Buffer.isBuffer(data)) throw new KithError('NOISE_HANDSHAKE_FAILED');
        result = finishLinkHandshake(handshake, new Uint8Array(data));
        transport = new NoiseTransport(result.ciphers, limits.rekeyInterval);
      } catch (cause) {
        fail(new KithError('LINK_CONNECT_FAILED', 'Message 2 did not verify.', { cause }));
        return;
      }
      settled = true;
      clearTimeout(timer);
      ws.removeAllListeners('close');
      ws.removeAllListeners('error');
      ws.send(transport.encrypt(encodeFrame(FRAME_KIND.CONFIRM, new Uint8Array(0))), { binary: true });
      const link = new Link({
        ws,
        transport,
        initiator: true,
        localStaticKey: ownPublic,
        remoteStaticKey: result.remoteStaticKey,
        handshakeHash: result.handshakeHash,
        mode: options.invite ? 'IKpsk2' : 'IK',
        inviteId: options.invite?.id,
        remoteAddress,
        remotePort,
        limits,
        logger,
        punched: options.socket !== undefined,
      });
      logger.info({ peer, mode: link.mode }, 'link established');
      resolve(options.registry ? options.registry.add(link) : link);
    });
  });
}
