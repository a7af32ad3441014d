import { isKithError } from '@kith/core/errors';
import { backoffDelay } from '@kith/core/net/backoff';
import { type Link, connectLink } from '../link/index.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';
import type { PeerSession } from './peer-session.ts';
import { OwnAddress } from './own-address.ts';

export abstract class PeerDialer extends OwnAddress {
  private dialBusy = false;

  private async targets(): Promise<DeviceRow[]> {
    const friendIds = new Set((await this.friends.list()).map((f) => f.userId));
    return (await this.identity.allDevices()).filter(
      (d) =>
        d.status === 'active' &&
        d.deviceId !== this.deviceId &&
        (d.userId === this.userId || friendIds.has(d.userId)),
    );
  }

  async dialDue(): Promise<void> {
    if (this.stopped || this.dialBusy) return;
    this.dialBusy = true;
    try {
      const now = this.clock();
      for (const target of await this.targets()) {
        if (this.sessions.has(target.deviceId)) continue;
        let d = this.dialing.get(target.deviceId);
        if (!d) {
          d = { attempt: 0, nextAt: 0, busy: false };
          this.dialing.set(target.deviceId, d);
        }
        if (d.busy || d.nextAt > now) continue;
        d.busy = true;
        void this.dial(target, d);
      }
    } catch (err) {
      // Runs from timers and events: a failure is logged, never an unhandled rejection
      // (e.g. the database closing under a stop).
      if (!this.stopped) this.log.warn({ err }, 'dialing pass failed');
    } finally {
      this.dialBusy = false;
    }
  }

  /**
   * Dials one device at once, its back-off forgotten: it has just learned to admit us (a friend
   * device introduced after a recovery, introductions-pending.ts).
   */
  dialNow(deviceId: string): void {
    const d = this.dialing.get(deviceId);
    if (d && !d.busy) d.nextAt = 0;
    void this.dialDue();
  }

  private async dial(
    target: DeviceRow,
    state: { attempt: number; nextAt: number; busy: boolean },
  ): Promise<void> {
    try {
      const record = await this.addresses.get(target.deviceId);
      const stats = await this.peerStats.get(target.deviceId);
      const candidates = [
        ...new Set([...(record?.addresses ?? []), ...(stats?.lastAddress ? [stats.lastAddress] : [])]),
      ];
      for (const address of candidates) {
        if (this.stopped || this.sessions.has(target.deviceId)) return;
        try {
          const link = await connectLink({
            url: `ws://${address}`,
            staticKeyPair: this.dialKeyPair,
            remoteStaticKey: record?.relay?.linkKey ?? target.staticPublicKey,
            clock: this.clock,
            random: this.random,
            logger: this.log,
            limits: this.options.linkLimits,
            registry: this.registry,
            ...this.sourceAddress(),
          });
          await this.peerStats.upsert({
            deviceId: target.deviceId,
            userId: target.userId,
            lastAddress: address,
          });
          await this.startSession(link, target);
          state.attempt = 0;
          return;
        } catch (err) {
          this.log.debug(
            { peer: target.deviceId, address, code: isKithError(err) ? err.code : undefined },
            'dial failed',
          );
        }
      }
      state.attempt += 1;
      await this.afterDialFailed(target);
      const retry = this.clock() + backoffDelay(state.attempt, this.random, this.timing.backoff);
      // A peer with port windows is tried again inside its next one (peer/port-windows.ts).
      state.nextAt = this.options.windows
        ? await this.options.windows.nextDialAt(target.deviceId, this.clock(), retry)
        : retry;
    } catch (err) {
      if (!this.stopped) this.log.warn({ err, peer: target.deviceId }, 'dial failed');
    } finally {
      state.busy = false;
    }
  }

  onClose(session: PeerSession): void {
    if (this.sessions.get(session.deviceId) !== session) return;
    this.sessions.delete(session.deviceId);
    if (this.stopped) return;
    this.reach.onLinkDown(session);
    this.options.events.publish('peer.offline', { deviceId: session.deviceId, userId: session.userId });
    this.log.info({ peer: session.deviceId }, 'peer offline');
    this.dialing.set(session.deviceId, {
      attempt: 0,
      nextAt: this.clock() + backoffDelay(0, this.random, this.timing.backoff),
      busy: false,
    });
  }

  /** Every address of `target` failed (peer-node.ts asks a friend to coordinate a hole punch). */
  protected abstract afterDialFailed(target: DeviceRow): Promise<void>;

  /** Opens the session of a link this node dialed or accepted (peer-node.ts). */
  protected abstract startSession(link: Link, expected?: DeviceRow): Promise<void>;
}
