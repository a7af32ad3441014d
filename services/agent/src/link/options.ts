import type { Logger } from '../logger.ts';

/** What the link code logs through (pino's shape); never key material or plaintext. */
export type LinkLogger = Pick<Logger, 'debug' | 'info' | 'warn'>;

export const silentLinkLogger: LinkLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
} as unknown as LinkLogger;

/** Sizes and times a link obeys (docs/PROTOCOL.md "Limits"). Every field has a default. */
export interface LinkLimits {
  /** Largest application message, in bytes; larger ones are refused on send and close the link on receipt. */
  maxMessageBytes: number;
  /** Bytes written to the link but not yet flushed to the socket, past which `send` refuses. */
  maxQueuedBytes: number;
  /** Application messages not yet flushed, past which `send` refuses. */
  maxQueuedMessages: number;
  /**
   * From TCP connect to a confirmed link; a handshake still open then is dropped. Each
   * connection gets its own deadline, drawn between this and 1.5 times this, so the port's
   * timeouts give no fingerprint.
   */
  handshakeTimeoutMs: number;
  /** From TCP connect to the complete upgrade request (randomised the same way). */
  headerTimeoutMs: number;
  /** Connections not yet confirmed as links, in all; more are closed at once, in silence. */
  maxUnconfirmed: number;
  /** Connections not yet confirmed as links from one IP address. */
  maxUnconfirmedPerSource: number;
  /** How far a hello timestamp may be from the responder's clock, either way. */
  timestampWindowMs: number;
  /** Hellos being checked at once; more are dropped in silence. */
  maxPendingHandshakes: number;
  /**
   * How long message 2 waits for the replay guard's save (docs/SECURITY.md "Replays"); a slower
   * disk is answered anyway, as a failed save is. On a loaded machine one save (two fsyncs) took
   * 10 to 13 s, past the initiator's handshake deadline: invite hellos went unanswered.
   */
  replaySaveWaitMs: number;
  /**
   * Messages per direction between two Rekey() calls. A protocol constant (REKEY_INTERVAL):
   * both ends must use the same value, so change it only in tests.
   */
  rekeyInterval: number;
}

export const DEFAULT_LINK_LIMITS: Readonly<LinkLimits> = {
  maxMessageBytes: 4 * 1024 * 1024,
  maxQueuedBytes: 8 * 1024 * 1024,
  maxQueuedMessages: 4096,
  handshakeTimeoutMs: 10_000,
  headerTimeoutMs: 5_000,
  maxUnconfirmed: 256,
  maxUnconfirmedPerSource: 8,
  timestampWindowMs: 120_000,
  maxPendingHandshakes: 64,
  replaySaveWaitMs: 1000,
  rekeyInterval: 65536,
};

/** A deadline between `baseMs` and 1.5 × `baseMs`, from two random bytes. */
export function jitteredDeadline(baseMs: number, random: (n: number) => Uint8Array): number {
  const [a = 0, b = 0] = random(2);
  return Math.round(baseMs * (1 + ((a << 8) | b) / 2 ** 17));
}

export function resolveLinkLimits(limits: Partial<LinkLimits> | undefined): LinkLimits {
  return { ...DEFAULT_LINK_LIMITS, ...limits };
}

/** The URL path of the peer port; every other path gets silence. */
export const LINK_PATH = '/kith/v1/link';
/** The upgrade-request header carrying the base64url link hello. */
export const HELLO_HEADER = 'kith-hello';
