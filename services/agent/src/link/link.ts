import { EventEmitter } from 'node:events';
import { constantTimeEqual, toHex } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { FrameReassembler } from '@kith/core/noise/frame-reassembly';
import { fragmentMessage, MAX_FRAGMENT } from '@kith/core/noise/link-frame';
import type { LinkMode } from '@kith/core/noise/link-hello';
import type { NoiseTransport } from '@kith/core/noise/transport';
import type { RawData, WebSocket } from 'ws';
import type { LinkLimits, LinkLogger } from './options.ts';
import { corkUntilNextTick } from '../socket-cork.ts';

/** Why a link closed. */
export type LinkCloseReason =
  | 'local' // close() on this side
  | 'remote' // the peer closed it
  | 'superseded' // lost the one-link-per-pair tie-break (either side decided)
  | 'decrypt-failed' // a frame did not authenticate
  | 'protocol-error' // a text frame, an unknown frame kind, a second CONFIRM
  | 'message-too-large' // a reassembled message passed maxMessageBytes
  | 'socket-error';

export interface LinkCloseInfo {
  reason: LinkCloseReason;
}

/** WebSocket close codes Kith sends (private range 4000-4999). */
export const LINK_CLOSE_CODE = {
  superseded: 4000,
  'message-too-large': 4001,
  'protocol-error': 4002,
} as const;

export interface LinkEvents {
  message: [message: Uint8Array];
  close: [info: LinkCloseInfo];
  /** The send queue fell back under half its bounds after a send was refused. */
  drain: [];
}

export interface LinkParams {
  ws: WebSocket;
  transport: NoiseTransport;
  initiator: boolean;
  localStaticKey: Uint8Array;
  remoteStaticKey: Uint8Array;
  handshakeHash: Uint8Array;
  mode: LinkMode;
  inviteId: Uint8Array | undefined;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  limits: LinkLimits;
  logger: LinkLogger;
  /** The TCP connection came from a hole punch (peer/hole-punch.ts), not a dial to the peer port. */
  punched?: boolean;
}

/**
 * An established, authenticated link to one peer device (docs/DESIGN.md §6): one Noise transport
 * message per WebSocket binary frame. Messages received while nobody listens for 'message'
 * are held (bounded; the socket is paused past the bound) and delivered to the first listener.
 */
export class Link extends EventEmitter<LinkEvents> {
  readonly remoteStaticKey: Uint8Array;
  readonly localStaticKey: Uint8Array;
  /** Noise handshake hash: the same on both ends, unique per link (channel binding). */
  readonly handshakeHash: Uint8Array;
  /** True when this side sent the hello. */
  readonly initiator: boolean;
  readonly mode: LinkMode;
  readonly inviteId: Uint8Array | undefined;
  /** The peer's IP address as this side's socket sees it. */
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** The TCP connection came from a hole punch, not a dial to the peer port. */
  readonly punched: boolean;
  /** Resolves once, when the link has closed. */
  readonly closed: Promise<LinkCloseInfo>;

  private readonly ws: WebSocket;
  private readonly transport: NoiseTransport;
  private readonly limits: LinkLimits;
  private readonly logger: LinkLogger;
  private open = true;
  private closeReason: LinkCloseReason | undefined;
  private queuedBytesCount = 0;
  private queuedMessagesCount = 0;
  private refusedSinceDrain = false;
  private readonly reassembly: FrameReassembler;
  private inbox: Uint8Array[] = [];
  private inboxBytes = 0;
  private flushScheduled = false;
  /** The reader asked to stop reading (pauseReading): the inbox's own bound does not resume it. */
  private readingHeld = false;

  constructor(p: LinkParams) {
    super();
    this.ws = p.ws;
    this.transport = p.transport;
    this.reassembly = new FrameReassembler(p.limits.maxMessageBytes);
    this.initiator = p.initiator;
    this.localStaticKey = p.localStaticKey.slice();
    this.remoteStaticKey = p.remoteStaticKey.slice();
    this.handshakeHash = p.handshakeHash.slice();
    this.mode = p.mode;
    this.inviteId = p.inviteId?.slice();
    this.remoteAddress = p.remoteAddress;
    this.punched = p.punched === true;
    this.remotePort = p.remotePort;
    this.limits = p.limits;
    this.logger = p.logger;
    let resolveClosed: (info: LinkCloseInfo) => void = () => undefined;
    this.closed = new Promise((resolve) => {
      resolveClosed = resolve;
    });
    this.ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    this.ws.on('error', () => this.fail('socket-error'));
    this.ws.on('close', (code) => {
      this.open = false;
      const reason = this.closeReason ?? (code === LINK_CLOSE_CODE.superseded ? 'superseded' : 'remote');
      this.closeReason = reason;
      this.logger.debug({ peer: this.peerLabel, reason }, 'link closed');
      resolveClosed({ reason });
      this.emit('close', { reason });
    });
    // 'newListener' is not in LinkEvents; it is EventEmitter's own.
    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      if (event === 'message') this.scheduleFlush();
    });
  }

  /** The static key of the side that initiated this link (what the tie-break compares). */
  get initiatorStaticKey(): Uint8Array {
    return this.initiator ? this.localStaticKey : this.remoteStaticKey;
  }

  get isOpen(): boolean {
    return this.open;
  }

  get queuedBytes(): number {
    return this.queuedBytesCount;
  }

  get queuedMessages(): number {
    return this.queuedMessagesCount;
  }

  /** Whether `send` would accept a message of this many bytes now. */
  canSend(messageBytes: number): boolean {
    return (
      this.open &&
      messageBytes <= this.limits.maxMessageBytes &&
      this.queuedMessagesCount < this.limits.maxQueuedMessages &&
      this.queuedBytesCount + wireSize(messageBytes) <= this.limits.maxQueuedBytes
    );
  }

  /**
   * Encrypts and queues one application message. Throws LINK_CLOSED, LINK_MESSAGE_TOO_LARGE,
   * or LINK_QUEUE_FULL (backpressure: nothing was queued; wait for 'drain').
   */
  send(message: Uint8Array): void {
    if (!this.open) throw new KithError('LINK_CLOSED');
    if (message.length > this.limits.maxMessageBytes) {
      throw new KithError(
        'LINK_MESSAGE_TOO_LARGE',
        `At most ${this.limits.maxMessageBytes} bytes per message.`,
      );
    }
    if (!this.canSend(message.length)) {
      this.refusedSinceDrain = true;
      throw new KithError(
        'LINK_QUEUE_FULL',
        `${this.queuedMessagesCount} messages (${this.queuedBytesCount} bytes) are waiting.`,
      );
    }
    const frames = fragmentMessage(message);
    this.queuedMessagesCount += 1;
    corkUntilNextTick(this.ws);
    frames.forEach((frame, i) => {
      const sealed = this.transport.encrypt(frame);
      const last = i === frames.length - 1;
      this.queuedBytesCount += sealed.length;
      this.ws.send(sealed, { binary: true }, () => {
        this.queuedBytesCount -= sealed.length;
        if (last) this.queuedMessagesCount -= 1;
        this.maybeDrain();
      });
    });
  }

  /**
   * Stops reading the socket until `resumeReading` (backpressure from a reader whose work
   * queue is deep): the peer's send queue fills and its sends are refused, not buffered here.
   */
  pauseReading(): void {
    this.readingHeld = true;
    if (this.open && !this.ws.isPaused) this.ws.pause();
  }

  resumeReading(): void {
    this.readingHeld = false;
    if (this.open && this.ws.isPaused && this.inbox.length === 0) this.ws.resume();
  }

  get readingPaused(): boolean {
    return this.readingHeld;
  }

  /** Closes the link (a WebSocket close handshake; the 'close' event follows). */
  close(reason: 'local' | 'superseded' = 'local'): void {
    if (!this.open) return;
    this.open = false;
    this.closeReason = reason;
    this.ws.close(reason === 'superseded' ? LINK_CLOSE_CODE.superseded : 1000);
  }

  /** Same peer and same handshake: the very same link seen from either end. */
  sameLinkAs(other: Link): boolean {
    return constantTimeEqual(this.handshakeHash, other.handshakeHash);
  }

  private get peerLabel(): string {
    return toHex(this.remoteStaticKey).slice(0, 16);
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (!this.open) return;
    if (!isBinary || !Buffer.isBuffer(data)) {
      this.fail('protocol-error');
      return;
    }
    let plaintext: Uint8Array;
    try {
      plaintext = this.transport.decrypt(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } catch {
      this.fail('decrypt-failed');
      return;
    }
    const step = this.reassembly.push(plaintext);
    if ('refused' in step) this.fail(step.refused);
    else if ('message' in step) this.deliver(step.message);
  }

  private deliver(message: Uint8Array): void {
    if (this.listenerCount('message') > 0 && this.inbox.length === 0) {
      this.emit('message', message);
      return;
    }
    this.inbox.push(message);
    this.inboxBytes += message.length;
    if (this.listenerCount('message') > 0) this.scheduleFlush();
    // Held messages are bounded like the send queue: past it, stop reading the socket.
    if (this.inbox.length >= this.limits.maxQueuedMessages || this.inboxBytes >= this.limits.maxQueuedBytes) {
      this.ws.pause();
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      while (this.inbox.length > 0 && this.listenerCount('message') > 0) {
        const message = this.inbox.shift()!;
        this.inboxBytes -= message.length;
        this.emit('message', message);
      }
      if (this.inbox.length === 0 && this.ws.isPaused && !this.readingHeld) this.ws.resume();
    });
  }

  private maybeDrain(): void {
    if (
      this.refusedSinceDrain &&
      this.queuedBytesCount <= this.limits.maxQueuedBytes / 2 &&
      this.queuedMessagesCount <= this.limits.maxQueuedMessages / 2
    ) {
      this.refusedSinceDrain = false;
      this.emit('drain');
    }
  }

  /** Ends the link at once; for protocol and crypto failures nothing more is sent. */
  private fail(reason: LinkCloseReason): void {
    if (this.closeReason === undefined) this.closeReason = reason;
    this.open = false;
    this.logger.debug({ peer: this.peerLabel, reason }, 'link failed');
    if (reason === 'message-too-large' || reason === 'protocol-error') {
      this.ws.close(LINK_CLOSE_CODE[reason]);
      return;
    }
    this.ws.terminate();
  }
}

/** Bytes on the wire for a message: per fragment a kind byte and a 16-byte tag. */
function wireSize(messageBytes: number): number {
  const fragments = Math.max(1, Math.ceil(messageBytes / MAX_FRAGMENT));
  return messageBytes + fragments * 17;
}
