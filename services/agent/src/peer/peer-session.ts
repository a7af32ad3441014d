/**
 * One established IK link to a peer device, from the hello exchange to its close
 * (docs/PROTOCOL.md "Messages"): identity-log sync, heartbeats with clock-offset estimates,
 * and address-record gossip. The node (peer-node.ts) owns the policy; the session speaks.
 */
import { isKithError } from '@kith/core/errors';
import { verifyDeviceCertificate } from '@kith/core/identity/certificate';
import { type OffsetSample, addSample, bestOffset, offsetSample } from '@kith/core/net/clock-offset';
import { isOverdue, nextHeartbeatDelay } from '@kith/core/net/heartbeat-interval';
import { announcedFeatures, featureMarks } from '@kith/core/wire/features';
import { HEARTBEAT_MAX_VERSIONS, type HeartbeatMessage } from '@kith/core/wire/heartbeat';
import type { HelloMessage } from '@kith/core/wire/hello';
import type { MessageOf } from '@kith/core/wire/message';
import { constantTimeEqual } from '@kith/core/crypto/index';
import type { Link } from '../link/link.ts';
import { formatAddress, normaliseHost } from './own-addresses.ts';
import {
  type SessionHandlers,
  type SessionMessage,
  decodeSessionMessage,
  dispatchSessionMessage,
  sessionMessageDefinition,
} from './session-messages.ts';

export {
  type ArchiveSessionMessage,
  SESSION_MESSAGES,
  type SessionMessage,
} from './session-messages.ts';

/**
 * Messages a session may have received and not yet handled before it stops reading its socket
 * (backpressure, docs/SECURITY.md "Flooding"); it reads again once half of them are done.
 */
export const SESSION_PAUSE_DEPTH = 64;

/**
 * Messages a session handles in one turn of the event loop before it yields to the API and the
 * other links. Those that came in one socket read share a turn, so the items among them join
 * one group commit (and one receipt) instead of one each (ARCHITECTURE "Messaging performance").
 */
export const SESSION_MESSAGES_PER_TURN = 16;

/** What a session needs from its node. */
export interface SessionHost {
  readonly clock: () => number;
  readonly random: (n: number) => Uint8Array;
  readonly heartbeatMeanMs: number;
  helloFor(link: Link): Promise<MessageOf<typeof HelloMessage>>;
  /** Checks the peer's certificate; returns its device and user ids, or throws to close. */
  admit(link: Link, cert: ReturnType<typeof verifyDeviceCertificate>): Promise<void>;
  /** Whether `key` is the relay link key the device's signed address record names. */
  isRelayLinkKey(deviceId: string, key: Uint8Array): Promise<boolean>;
  /** What to do with each message once the session has checked it (peer-handlers.ts). */
  readonly handlers: SessionHandlers<PeerSession>;
  /** Address-record versions to put in a heartbeat. */
  versions(): Promise<{ device: string; seq: number }[]>;
  onClose(session: PeerSession): void;
  readonly log: { debug(o: object, m: string): void; warn(o: object, m: string): void };
}

export class PeerSession {
  deviceId = '';
  userId = '';
  ready = false;
  lastSeenAt: number;
  offsets: OffsetSample[] = [];
  roundTripMs: number | undefined;
  /** Where the peer says it sees us (its hello); a link through our router mapping shows there. */
  seenAs: string | undefined;
  /** We dialed and the peer says we came in through its router's port mapping (`mapped-link`). */
  dialedMapping = false;
  /** Features the peer announced in its heartbeats (wire/features.ts): newer messages it reads. */
  readonly features = new Set<string>();
  private lastReceived: { sentAt: number; receivedAt: number } | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Received messages not yet handled (the depth of `chain`). */
  private waiting = 0;
  /** Messages handled since the current turn of the event loop began (SESSION_MESSAGES_PER_TURN). */
  private handledThisTurn = 0;
  private turnEndScheduled = false;
  private closed = false;

  constructor(
    readonly link: Link,
    private readonly host: SessionHost,
    /** Known before the hello for outbound links. */
    expected?: { deviceId: string; userId: string },
  ) {
    this.lastSeenAt = host.clock();
    if (expected) {
      this.deviceId = expected.deviceId;
      this.userId = expected.userId;
    }
  }

  /** The address at which this side sees the peer. */
  get seenAddress(): string {
    return this.link.remoteAddress && this.link.remotePort
      ? formatAddress(normaliseHost(this.link.remoteAddress), this.link.remotePort)
      : '';
  }

  get clockOffsetMs(): number | undefined {
    return bestOffset(this.offsets)?.offsetMs;
  }

  async start(): Promise<void> {
    this.link.on('message', (bytes) => {
      // Handle in arrival order; one slow handler must not reorder a peer's messages. At most
      // SESSION_MESSAGES_PER_TURN per turn of the event loop, so a flood on one link leaves
      // room for the API and every other link; a deep queue stops reading this link's socket.
      this.waiting += 1;
      if (this.waiting >= SESSION_PAUSE_DEPTH) this.link.pauseReading();
      this.chain = this.chain
        .then(() => this.takeTurn())
        .then(() => this.receive(bytes))
        .catch((err) => this.fail(err))
        .finally(() => {
          this.waiting -= 1;
          if (this.waiting <= SESSION_PAUSE_DEPTH / 2 && this.link.readingPaused) this.link.resumeReading();
        });
    });
    void this.link.closed.then(() => this.finish());
    this.send(await this.host.helloFor(this.link));
    this.schedule();
  }

  send(message: SessionMessage): boolean {
    if (!this.link.isOpen) return false;
    const def = sessionMessageDefinition(message.t);
    try {
      this.link.send(def.encode(message));
      return true;
    } catch (err) {
      // A full send queue: the peer is slow; heartbeats will notice if it is gone.
      this.host.log.debug({ err, peer: this.deviceId }, 'peer: send refused');
      return false;
    }
  }

  /** Counts a message against this turn's share; past it, waits for the next turn. */
  private async takeTurn(): Promise<void> {
    if (this.handledThisTurn >= SESSION_MESSAGES_PER_TURN) await nextTurn();
    if (!this.turnEndScheduled) {
      this.turnEndScheduled = true;
      setImmediate(() => {
        this.turnEndScheduled = false;
        this.handledThisTurn = 0;
      });
    }
    this.handledThisTurn += 1;
  }

  private async receive(bytes: Uint8Array): Promise<void> {
    if (this.closed) return;
    const now = this.host.clock();
    this.lastSeenAt = now;
    const message = decodeSessionMessage(bytes);
    if (!this.ready && message.t !== 'hello') return;
    if (message.t === 'hello') {
      if (!(await this.admit(message))) return;
    } else if (message.t === 'heartbeat') {
      this.noteHeartbeat(message, now);
      for (const f of announcedFeatures(message.versions)) this.features.add(f);
    }
    await dispatchSessionMessage(this.host.handlers, this, message);
  }

  /** Checks a hello's certificate against the link key and the node's admission; false: gone. */
  private async admit(message: MessageOf<typeof HelloMessage>): Promise<boolean> {
    const cert = verifyDeviceCertificate(message.cert);
    if (
      !constantTimeEqual(cert.agreementKey, this.link.remoteStaticKey) &&
      !(await this.host.isRelayLinkKey(cert.deviceId, this.link.remoteStaticKey))
    ) {
      throw new Error('certificate does not match the link key');
    }
    await this.host.admit(this.link, cert);
    // The link may have closed while admit read the database: a session adopted now would
    // stay in the node's map with a dead link (its close was already handled) and block
    // redialing that device for good.
    if (this.closed || !this.link.isOpen) return false;
    this.deviceId = cert.deviceId;
    this.userId = cert.userId;
    this.ready = true;
    return true;
  }

  /** A heartbeat's times give a clock-offset sample and the round trip. */
  private noteHeartbeat(message: MessageOf<typeof HeartbeatMessage>, now: number): void {
    this.lastReceived = { sentAt: message.sentAt, receivedAt: now };
    if (message.echo) {
      const s = offsetSample(message.echo.sentAt, message.echo.receivedAt, message.sentAt, now);
      this.offsets = addSample(this.offsets, s);
      this.roundTripMs = s.delayMs;
    }
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(
      () => void this.beat(),
      nextHeartbeatDelay(this.host.heartbeatMeanMs, this.host.random),
    );
    this.timer.unref?.();
  }

  private async beat(): Promise<void> {
    if (this.closed) return;
    const now = this.host.clock();
    if (isOverdue(this.lastSeenAt, now, this.host.heartbeatMeanMs)) {
      this.host.log.debug({ peer: this.deviceId }, 'peer: heartbeats missed, closing the link');
      this.link.close();
      return;
    }
    try {
      this.send({
        v: 1,
        t: 'heartbeat',
        sentAt: now,
        echo: this.lastReceived,
        seenAddress: this.seenAddress,
        // Our features first (wire/features.ts), inside the list's limit.
        versions: [...featureMarks(), ...(await this.host.versions())].slice(0, HEARTBEAT_MAX_VERSIONS),
      });
    } catch (err) {
      this.host.log.warn({ err, peer: this.deviceId }, 'peer: heartbeat failed');
    }
    this.schedule();
  }

  private fail(err: unknown): void {
    const code = isKithError(err) ? err.code : undefined;
    this.host.log.warn(
      { peer: this.deviceId || undefined, code, err: code ? undefined : err },
      'peer: closing link',
    );
    this.link.close();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.host.onClose(this);
  }

  close(): void {
    this.link.close();
  }
}

/** Resolves after the I/O and timers already due have had their turn. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
