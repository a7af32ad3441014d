/**
 * Port windows (docs/PROTOCOL.md "Port windows", docs/SECURITY.md "Hidden peer port"): the peer
 * port listens only inside this node's windows, whose times come from a window key that only
 * its own devices and friends receive (wire/window-key.ts). Outside them the listener is paused
 * (connections refused, links kept); an open invite holds the port open until it is used or
 * expires. Peers' keys are kept so that a lost link is dialled again inside the peer's next
 * window, moved by its measured clock offset and widened by the allowed skew.
 *
 * The keys live in DATA/port-windows.json (0600), outside the sealed keystore on purpose: a
 * locked relay node keeps its windows. A window key only tells when a port listens.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '@kith/core/crypto/index';
import type { RandomSource } from '@kith/core/crypto/index';
import { isKithError } from '@kith/core/errors';
import {
  type ClusterClock,
  SKEW_WARNING_FRACTION,
  clusterClock,
  windowWidthFor,
} from '@kith/core/net/cluster-clock';
import {
  DEFAULT_MAX_SKEW_MS,
  WINDOW_KEY_BYTES,
  type WindowSchedule,
  checkSchedule,
  dialWindow,
  nextWindow,
  windowAt,
} from '@kith/core/net/port-window';
import type { Clock, Timers } from '@kith/core/time';
import type { MessageOf } from '@kith/core/wire/message';
import type { WindowKeyMessage } from '@kith/core/wire/window-key';
import type { AgentEvent } from '../event-bus.ts';
import { writeFileAtomic } from '../keystore/atomic-write.ts';
import { type PeerWindow, type PortWindowsFile, parsePortWindowsFile } from './port-windows-file.ts';

export const PORT_WINDOWS_FILE = 'port-windows.json';

/** What the windows open and close: the peer port's listener (link/listener.ts). */
export interface WindowGate {
  readonly listening: boolean;
  pause(): Promise<void>;
  resume(): Promise<void>;
}

/** The part of a peer session the windows use. */
export interface WindowSession {
  readonly deviceId: string;
  readonly userId: string;
  readonly clockOffsetMs: number | undefined;
  readonly roundTripMs: number | undefined;
  send(message: MessageOf<typeof WindowKeyMessage>): boolean;
}

export interface PortWindowsOptions {
  /** Off: the port listens all the time and peers are told so (key null). */
  enabled: boolean;
  schedule: WindowSchedule;
  /** Clock error a dialer allows for after applying the measured offset (default DEFAULT_MAX_SKEW_MS). */
  maxSkewMs?: number;
  /** How long the port stays open after an invite is used or ended (the new friend dials back). */
  inviteGraceMs?: number;
  dataDir: string;
  clock: Clock;
  timers?: Timers;
  random: RandomSource;
  logger: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** The offset last stored for a device (the peer table), when no link measured one in this run. */
  storedOffset?: (deviceId: string) => Promise<number | undefined>;
}

export interface PortWindowStatus {
  enabled: boolean;
  /** Whether the peer port takes connections now. */
  open: boolean;
  periodMs: number;
  openMs: number;
  maxSkewMs: number;
  /** When the current window (or invite hold) closes, if open. */
  openUntil: string | null;
  /** When the next window of the schedule starts (null with windows off). */
  nextWindowAt: string | null;
  /** Open invites holding the port open. */
  invitesHolding: number;
  /** Peers whose window keys this node holds. */
  peerKeys: number;
  clock: ClusterClock & {
    /** The open time and skew the measured spread calls for (core/net/cluster-clock.ts). */
    minOpenMs: number;
    skewMs: number;
  };
}

const realTimers: Timers = {
  set(callback, ms) {
    const t = setTimeout(callback, ms);
    t.unref?.();
    return t;
  },
  clear(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout> | undefined);
  },
};

/** Longest single timer: a far transition is re-checked rather than trusted to one long sleep. */
const MAX_TIMER_MS = 60_000;

export class PortWindows {
  readonly name = 'port-windows';
  readonly schedule: WindowSchedule;
  readonly maxSkewMs: number;
  private own: { gen: number; key: Uint8Array } | undefined;
  private readonly peers = new Map<string, PeerWindow>();
  private readonly offsets = new Map<string, { offsetMs: number; roundTripMs: number }>();
  /** Invite id -> until when it holds the port open. */
  private readonly holds = new Map<string, number>();
  private gate: WindowGate | undefined;
  private sessions: () => readonly WindowSession[] = () => [];
  private timer: unknown;
  private readonly timers: Timers;
  private applying: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: PortWindowsOptions) {
    this.schedule = checkSchedule(options.schedule);
    this.maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    this.timers = options.timers ?? realTimers;
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  private get file(): string {
    return join(this.options.dataDir, PORT_WINDOWS_FILE);
  }

  /** Loads (or makes) the window key, then opens or closes `gate` and follows the schedule. */
  async start(gate: WindowGate, sessions: () => readonly WindowSession[]): Promise<void> {
    this.stopped = false;
    this.gate = gate;
    this.sessions = sessions;
    await this.load();
    await this.apply();
  }

  stop(): void {
    this.stopped = true;
    this.timers.clear(this.timer);
    this.timer = undefined;
  }

  // --- the schedule ------------------------------------------------------------------------

  /** Whether the schedule (or an invite) wants the port open at `now`. */
  wantsOpen(now: number): boolean {
    if (!this.options.enabled) return true;
    for (const until of this.holds.values()) if (until > now) return true;
    return this.own !== undefined && windowAt(this.own.key, now, this.schedule) !== undefined;
  }

  /** Opens or closes the gate for now and sets the timer for the next change. */
  private apply(): Promise<void> {
    this.applying = this.applying
      .then(() => this.applyNow())
      .catch((err: unknown) =>
        this.options.logger.warn({ err }, 'port windows: could not follow the schedule'),
      );
    return this.applying;
  }

  private async applyNow(): Promise<void> {
    if (this.stopped || !this.gate) return;
    const now = this.options.clock();
    for (const [id, until] of this.holds) if (until <= now) this.holds.delete(id);
    const open = this.wantsOpen(now);
    try {
      if (open && !this.gate.listening) await this.gate.resume();
      else if (!open && this.gate.listening) await this.gate.pause();
    } catch (err) {
      // Another process took the port while it was closed: try again at the next change.
      this.options.logger.warn(
        { code: isKithError(err) ? err.code : undefined },
        'port windows: the peer port could not open',
      );
    }
    this.timers.clear(this.timer);
    this.timer = undefined;
    if (this.stopped || !this.options.enabled) return;
    const next = this.nextChange(now);
    this.timer = this.timers.set(() => void this.apply(), Math.min(MAX_TIMER_MS, Math.max(1, next - now)));
  }

  /** The next instant after `now` at which the port should open or close. */
  private nextChange(now: number): number {
    let next = Number.POSITIVE_INFINITY;
    if (this.own) {
      const w = nextWindow(this.own.key, now, this.schedule);
      next = w.start > now ? w.start : w.end;
    }
    for (const until of this.holds.values()) if (until > now) next = Math.min(next, until);
    return next;
  }

  // --- invites -----------------------------------------------------------------------------

  /** An open invite keeps the port open until `untilMs` (its expiry) or its release. */
  hold(id: string, untilMs: number): void {
    this.holds.set(id, untilMs);
    void this.apply();
  }

  /** The invite was used or ended: the port stays open a grace period more, then follows the schedule. */
  release(id: string): void {
    if (!this.holds.has(id)) return;
    const grace = this.options.inviteGraceMs ?? 30_000;
    this.holds.set(id, Math.min(this.holds.get(id)!, this.options.clock() + grace));
    void this.apply();
  }

  // --- keys --------------------------------------------------------------------------------

  private async load(): Promise<void> {
    let parsed: PortWindowsFile | 'empty' = 'empty';
    let unreadable: boolean;
    try {
      parsed = parsePortWindowsFile(await readFile(this.file, 'utf8'));
      unreadable = parsed === 'empty';
    } catch (err) {
      unreadable = (err as NodeJS.ErrnoException).code !== 'ENOENT';
    }
    if (unreadable)
      this.options.logger.warn({}, 'port windows: the key file is unreadable; a new key is made');
    const file = parsed === 'empty' ? undefined : parsed;
    this.own = file?.own ?? { gen: 0, key: this.options.random(WINDOW_KEY_BYTES) };
    for (const [deviceId, p] of file?.peers ?? []) this.peers.set(deviceId, p);
    await this.save();
  }

  private saving: Promise<void> = Promise.resolve();

  private save(): Promise<void> {
    const own = this.own!;
    const body = JSON.stringify({
      own: { gen: own.gen, key: toHex(own.key) },
      peers: Object.fromEntries(
        [...this.peers].map(([id, p]) => [
          id,
          { gen: p.gen, key: p.key ? toHex(p.key) : null, periodMs: p.periodMs, openMs: p.openMs },
        ]),
      ),
    });
    this.saving = this.saving
      .then(() => writeFileAtomic(this.file, body, 0o600))
      .catch(() => this.options.logger.warn({}, 'port windows: the key file could not be written'));
    return this.saving;
  }

  /** What this node tells its own devices and friends. */
  message(): MessageOf<typeof WindowKeyMessage> {
    return {
      v: 1,
      t: 'window-key',
      gen: this.own?.gen ?? 0,
      key: this.options.enabled && this.own ? this.own.key : null,
      periodMs: this.schedule.periodMs,
      openMs: this.schedule.openMs,
    };
  }

  /** A link to an own device or a friend came up: it learns our schedule. */
  onLinkUp(session: WindowSession): void {
    if (this.own) session.send(this.message());
  }

  /** A peer's schedule; the newest generation wins (a link only carries its own device's). */
  async onWindowKey(session: WindowSession, message: MessageOf<typeof WindowKeyMessage>): Promise<void> {
    const held = this.peers.get(session.deviceId);
    if (held && held.gen > message.gen) return;
    let schedule: WindowSchedule;
    try {
      schedule = checkSchedule({ periodMs: message.periodMs, openMs: message.openMs });
    } catch {
      return;
    }
    this.peers.set(session.deviceId, { gen: message.gen, key: message.key, ...schedule });
    await this.save();
  }

  /** Devices already warned about (until their clock comes back within the margin). */
  private readonly warned = new Set<string>();

  /** Heartbeats measured the peer's clock again; a clock near the skew margin is logged once. */
  onHeartbeat(session: WindowSession): void {
    if (session.clockOffsetMs === undefined) return;
    this.offsets.set(session.deviceId, {
      offsetMs: session.clockOffsetMs,
      roundTripMs: session.roundTripMs ?? 0,
    });
    const near = Math.abs(session.clockOffsetMs) >= this.maxSkewMs * SKEW_WARNING_FRACTION;
    if (near && !this.warned.has(session.deviceId)) {
      this.warned.add(session.deviceId);
      this.options.logger.warn(
        { peer: session.deviceId, offsetMs: Math.round(session.clockOffsetMs), maxSkewMs: this.maxSkewMs },
        'port windows: a peer’s clock is near the allowed skew; dialers that have not measured it may miss windows',
      );
    } else if (!near) this.warned.delete(session.deviceId);
  }

  /** A new key (an ex-friend or a revoked device knew the old one), sent to every remaining link. */
  async rotate(except?: (s: WindowSession) => boolean): Promise<void> {
    this.own = { gen: (this.own?.gen ?? -1) + 1, key: this.options.random(WINDOW_KEY_BYTES) };
    await this.save();
    for (const s of this.sessions()) if (!except?.(s)) s.send(this.message());
    this.options.logger.info({ gen: this.own.gen }, 'port windows: window key rotated');
    await this.apply();
  }

  /** Rotates on the events after which someone outside knows the key. */
  onEvent(event: AgentEvent): Promise<void> | undefined {
    const done = (p: Promise<void>) =>
      p.catch(() => this.options.logger.warn({}, 'port windows: the key could not rotate'));
    if (event.type === 'friend.removed') {
      const userId = event.data.userId;
      return done(this.rotate((s) => s.userId === userId));
    }
    if (event.type === 'device.revoked') {
      return done(this.rotate((s) => s.deviceId === event.data.deviceId));
    }
    return undefined;
  }

  // --- dialing -----------------------------------------------------------------------------

  /**
   * When to dial `deviceId` next after a failed attempt: inside its next window (moved by its
   * measured offset, widened by the skew), a few times per window; `fallback` when its schedule
   * is unknown (or it listens all the time).
   */
  async nextDialAt(deviceId: string, now: number, fallback: number): Promise<number> {
    const p = this.peers.get(deviceId);
    if (!p?.key) return fallback;
    const offset = this.offsets.get(deviceId)?.offsetMs ?? (await this.options.storedOffset?.(deviceId)) ?? 0;
    const d = dialWindow(p.key, now, offset, this.maxSkewMs, p);
    if (now < d.start) return d.start;
    return Math.min(d.end, now + retryInsideMs(p.openMs));
  }

  /** The schedule this node holds for a peer, if any. */
  peerSchedule(deviceId: string): PeerWindow | undefined {
    return this.peers.get(deviceId);
  }

  // --- views -------------------------------------------------------------------------------

  status(): PortWindowStatus {
    const now = this.options.clock();
    const open = this.gate?.listening ?? false;
    let openUntil: number | undefined;
    let nextWindowAt: number | undefined;
    if (this.options.enabled && this.own) {
      const w = nextWindow(this.own.key, now, this.schedule);
      const current = windowAt(this.own.key, now, this.schedule);
      nextWindowAt = current ? nextWindow(this.own.key, current.end, this.schedule).start : w.start;
      const holdUntil = Math.max(0, ...[...this.holds.values()].filter((u) => u > now));
      if (open) openUntil = Math.max(current?.end ?? 0, holdUntil) || undefined;
    }
    const peers = [...this.offsets].map(([deviceId, o]) => ({ deviceId, offsetMs: Math.round(o.offsetMs) }));
    const cluster = clusterClock(peers, this.maxSkewMs);
    const rtt = Math.max(0, ...[...this.offsets.values()].map((o) => o.roundTripMs));
    return {
      enabled: this.options.enabled,
      open,
      periodMs: this.schedule.periodMs,
      openMs: this.schedule.openMs,
      maxSkewMs: this.maxSkewMs,
      openUntil: openUntil === undefined ? null : new Date(openUntil).toISOString(),
      nextWindowAt: nextWindowAt === undefined ? null : new Date(nextWindowAt).toISOString(),
      invitesHolding: [...this.holds.values()].filter((u) => u > now).length,
      peerKeys: this.peers.size,
      clock: { ...cluster, ...windowWidthFor(cluster.spreadMs, rtt, this.maxSkewMs) },
    };
  }
}

/** Dial attempts inside a window: about four per window, never more than one a 100 ms. */
export function retryInsideMs(openMs: number): number {
  return Math.max(100, Math.floor(openMs / 4));
}
