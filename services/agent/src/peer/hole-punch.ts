/**
 * Hole punching through a coordinating friend (docs/PROTOCOL.md "Hole punching"). Two devices
 * that cannot dial each other (both behind NATs, no router mapping) but are both linked to a
 * third (a friend's appliance, say) ask it to time a simultaneous dial: each names the local
 * port it will dial from, the coordinator adds the host it sees each at, and tells both when.
 * The TCP connection the crossing SYNs make (simultaneous-open.ts) then carries an ordinary
 * Noise IK link, authenticated like any other; the initiator the coordinator picked sends the
 * hello and the other answers it as its peer port would. When no hole opens, nothing changes:
 * messages keep going through the friends that reach both (reach gossip, relays).
 */
import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import { fromHex, toHex } from '@kith/core/crypto/index';
import { PunchMatcher } from '@kith/core/net/punch-matcher';
import { PUNCH_ATTEMPT_MS, punchDelayMs, punchLeadMs } from '@kith/core/net/punch-timing';
import type { MessageOf } from '@kith/core/wire/message';
import type { PunchMessage } from '@kith/core/wire/punch';
import type { PunchInviteMessage } from '@kith/core/wire/punch-invite';
import type { PunchRequestMessage } from '@kith/core/wire/punch-request';
import type { Logger } from '../logger.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';
import { formatAddress, hostOf, normaliseHost } from './own-addresses.ts';
import type { PeerSession } from './peer-session.ts';
import { freeLocalPort, simultaneousOpen } from './simultaneous-open.ts';
import type { WorkBudget } from './work-budget.ts';

/** Least time between two punches this device starts toward one peer. */
export const PUNCH_RETRY_MS = 30_000;
/** How long a request waits for its answer, here and at the coordinator. */
const PUNCH_REQUEST_TTL_MS = 20_000;
/** Punches waiting to fire or dialing at once; more are not started (each holds a port). */
const MAX_PUNCHES = 8;

export interface HolePunchHost {
  readonly clock: () => number;
  readonly random: (n: number) => Uint8Array;
  readonly log: Logger;
  session(deviceId: string): PeerSession | undefined;
  routesTo(deviceId: string, maxDistance?: number): PeerSession[];
  budgetFor(session: PeerSession): WorkBudget;
  sourceAddress(): { localAddress?: string };
  /** The active device of our user or a friend with this id; undefined for anyone else. */
  punchTarget(deviceId: string): Promise<DeviceRow | undefined>;
  /** The initiator's end: the Noise link over the punched connection, and its session. */
  dialPunched(socket: Socket, target: DeviceRow, address: string): Promise<void>;
  /** The responder's end: the peer port's handshake on the punched connection. */
  answerPunched(socket: Socket): void;
}

interface Outstanding {
  id: string;
  port: number;
  coordinator: string;
  expiresAt: number;
}

export class HolePunch {
  private readonly matcher = new PunchMatcher(PUNCH_REQUEST_TTL_MS);
  private readonly outstanding = new Map<string, Outstanding>();
  private readonly lastTried = new Map<string, number>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private active = 0;
  private stopped = false;

  constructor(private readonly host: HolePunchHost) {}

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /**
   * Every address of `target` failed: ask a friend linked to it to coordinate a punch, at most
   * once per PUNCH_RETRY_MS. Only a friend whose reach gossip says it links to the target is
   * asked, so the request tells it nothing it did not know (docs/SECURITY.md "Reach gossip").
   */
  async afterDialFailed(target: DeviceRow): Promise<void> {
    const now = this.host.clock();
    if (this.stopped || this.host.session(target.deviceId)) return;
    if (now - (this.lastTried.get(target.deviceId) ?? -Infinity) < PUNCH_RETRY_MS) return;
    const coordinator = this.host
      .routesTo(target.deviceId, 2)
      .find((s) => s.deviceId !== target.deviceId && s.link.isOpen);
    if (!coordinator || this.busy()) return;
    this.lastTried.set(target.deviceId, now);
    await this.request(coordinator, target.deviceId, this.host.random(16));
  }

  /** Coordinator: pair this half with the other device's, or invite that device to ask. */
  async onPunchRequest(session: PeerSession, m: MessageOf<typeof PunchRequestMessage>): Promise<void> {
    await this.host.budgetFor(session).spend(1);
    if (m.target === session.deviceId) return;
    const other = this.host.session(m.target);
    const host = punchHost(session.seenAddress);
    if (!other || !host) return;
    const offer = this.matcher.offer({
      from: session.deviceId,
      target: m.target,
      id: toHex(m.id),
      host,
      port: m.port,
      at: this.host.clock(),
    });
    if (offer.kind === 'waiting' && offer.invite) {
      other.send({ v: 1, t: 'punch-invite', id: m.id, peer: session.deviceId });
      return;
    }
    if (offer.kind !== 'matched') return;
    const first = this.host.session(offer.first.from);
    const second = this.host.session(offer.second.from);
    if (!first || !second) return;
    const at = this.host.clock() + punchLeadMs([first.roundTripMs, second.roundTripMs]);
    const go = (to: PeerSession, own: typeof offer.first, peer: typeof offer.first, initiator: boolean) =>
      to.send({
        v: 1,
        t: 'punch',
        id: fromHex(own.id),
        peer: peer.from,
        host: peer.host,
        port: peer.port,
        at,
        initiator,
      });
    // The device that asked first opens the link; the other answers it.
    go(first, offer.first, offer.second, true);
    go(second, offer.second, offer.first, false);
    this.host.log.info({ a: offer.first.from, b: offer.second.from }, 'hole punch: coordinated');
  }

  /** Target: a friend's device wants a direct link; ask back if we want one too. */
  async onPunchInvite(session: PeerSession, m: MessageOf<typeof PunchInviteMessage>): Promise<void> {
    await this.host.budgetFor(session).spend(1);
    if (this.stopped || this.host.session(m.peer) || this.busy()) return;
    const mine = this.outstanding.get(m.peer);
    if (mine && mine.coordinator === session.deviceId && mine.expiresAt > this.host.clock()) return;
    if (!(await this.host.punchTarget(m.peer))) return;
    this.lastTried.set(m.peer, this.host.clock());
    await this.request(session, m.peer, m.id);
  }

  /** Both asked: dial at the coordinator's moment from the port we named. */
  async onPunch(session: PeerSession, m: MessageOf<typeof PunchMessage>): Promise<void> {
    await this.host.budgetFor(session).spend(1);
    const mine = this.outstanding.get(m.peer);
    // Only the coordinator we asked, about the attempt we asked for, moves us to dial.
    if (!mine || mine.coordinator !== session.deviceId || mine.id !== toHex(m.id)) return;
    this.outstanding.delete(m.peer);
    if (this.stopped || mine.expiresAt < this.host.clock() || this.host.session(m.peer)) return;
    const target = await this.host.punchTarget(m.peer);
    if (!target) return;
    const delay = punchDelayMs(m.at, session.clockOffsetMs, this.host.clock());
    this.active += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.fire(target, m, mine.port).finally(() => {
        this.active -= 1;
      });
    }, delay);
    timer.unref?.();
    this.timers.add(timer);
  }

  private async fire(target: DeviceRow, m: MessageOf<typeof PunchMessage>, localPort: number): Promise<void> {
    if (this.stopped || this.host.session(target.deviceId)) return;
    const started = this.host.clock();
    const address = formatAddress(m.host, m.port);
    try {
      const socket = await simultaneousOpen({
        host: m.host,
        port: m.port,
        localPort,
        ...this.host.sourceAddress(),
        deadline: started + PUNCH_ATTEMPT_MS,
        clock: this.host.clock,
      });
      if (this.stopped) {
        socket.destroy();
        return;
      }
      this.host.log.info(
        { peer: target.deviceId, address, initiator: m.initiator, ms: this.host.clock() - started },
        'hole punch: connected',
      );
      if (m.initiator) await this.host.dialPunched(socket, target, address);
      else this.host.answerPunched(socket);
    } catch (err) {
      this.host.log.info(
        { peer: target.deviceId, address, code: (err as { code?: string }).code },
        'hole punch: no hole opened; messages go through friends that reach both',
      );
    }
  }

  private async request(coordinator: PeerSession, target: string, id: Uint8Array): Promise<void> {
    let port: number;
    try {
      port = await freeLocalPort(this.host.sourceAddress().localAddress);
    } catch (err) {
      this.host.log.warn({ err }, 'hole punch: no local port to dial from');
      return;
    }
    this.outstanding.set(target, {
      id: toHex(id),
      port,
      coordinator: coordinator.deviceId,
      expiresAt: this.host.clock() + PUNCH_REQUEST_TTL_MS,
    });
    coordinator.send({ v: 1, t: 'punch-request', id, target, port });
    this.host.log.debug({ peer: target, via: coordinator.deviceId, port }, 'hole punch: asked');
  }

  private busy(): boolean {
    const now = this.host.clock();
    for (const [peer, o] of this.outstanding) if (o.expiresAt < now) this.outstanding.delete(peer);
    return this.active + this.outstanding.size >= MAX_PUNCHES;
  }
}

/**
 * The IP a session's peer is seen at, as a `punch` carries it; undefined if not an IP literal,
 * or a loopback one: no NAT sits between two programs on one machine, so there is no hole to
 * punch (and nodes on one machine that cannot dial each other are meant not to).
 */
function punchHost(seenAddress: string): string | undefined {
  if (!seenAddress) return undefined;
  const host = normaliseHost(hostOf(seenAddress));
  if (isIP(host) === 0 || host.startsWith('127.') || host === '::1') return undefined;
  return host;
}
