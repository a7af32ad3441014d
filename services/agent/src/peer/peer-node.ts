/**
 * The peer node (docs/DESIGN.md §6): listens on the peer port, keeps one link to every active device of
 * its user and of its friends, exchanges identity logs, heartbeats and address records, and
 * re-dials with jittered backoff. A change of its own address bumps its signed record, which
 * is gossiped at once, and every known node is tried again.
 *
 * The node is layered, one concern per file: shared state and lookups (peer-node-base.ts),
 * identity-log sync (identity-log-sync.ts), address records (own-address.ts), dialing
 * (peer-dialer.ts); this file starts and stops it, admits links and answers the session.
 */
import type { AddressRecord } from '@kith/core/address-record';
import { toHex } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import type { DeviceCertificate } from '@kith/core/identity/certificate';
import type { MessageOf } from '@kith/core/wire/message';
import type { DeliverMessage, DeliverRefusedMessage } from '@kith/core/wire/deliver';
import type { HelloMessage } from '@kith/core/wire/hello';
import type { HeartbeatMessage } from '@kith/core/wire/heartbeat';
import type { MappedLinkMessage } from '@kith/core/wire/mapped-link';
import type { ReachMessage } from '@kith/core/wire/reach';
import type { WindowKeyMessage } from '@kith/core/wire/window-key';
import {
  type InitiatorInfo,
  type Link,
  ReplayGuard,
  connectLink,
  createLinkListener,
  replayFile,
} from '../link/index.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';
import { formatAddress, hostOf, normaliseHost } from './own-addresses.ts';
import { type ArchiveSessionMessage, PeerSession, type SessionHost } from './peer-session.ts';
import type { ArchiveHandler, DeliveryHandler, PeerView } from './peer-node-options.ts';
import { PeerDialer } from './peer-dialer.ts';
import { FriendListSync } from './friend-list-sync.ts';
import { peerHandlers } from './peer-handlers.ts';
import { HolePunch } from './hole-punch.ts';
import { cameThroughMapping, linkKind } from './link-kind.ts';
import type { Socket } from 'node:net';

export {
  type ArchiveHandler,
  type DeliveryHandler,
  OWN_FORK_HINT,
  type PeerNodeOptions,
  type PeerTiming,
  type PeerView,
} from './peer-node-options.ts';

export class PeerNode extends PeerDialer implements SessionHost {
  /** Our friend list, kept in sync across our own devices (friend-list-sync.ts). */
  readonly friendList: FriendListSync = new FriendListSync(this);
  private dialTimer: ReturnType<typeof setInterval> | undefined;
  /** Hook for pairing: links opened with an invite (IKpsk2). */
  onInviteLink: ((link: Link) => void) | undefined;
  /** Hook for messaging: items carried between devices. */
  delivery: DeliveryHandler | undefined;
  /** Hook for archive replication: copies held for and by other devices. */
  archive: ArchiveHandler | undefined;
  /** Simultaneous dials timed by a friend linked to both ends (hole-punch.ts). */
  readonly holes: HolePunch = new HolePunch(this);
  /** What each session message does here (peer-handlers.ts). */
  readonly handlers = peerHandlers(this);

  async start(): Promise<void> {
    // The keystore's copy of our log and the database's are merged; the database leads from here.
    // Locked, the file (sealed under the storage key) waits for the unlock.
    if (this.locked) {
      const state = await this.identity.state(this.userId);
      const record = await this.addresses.get(this.deviceId);
      if (!state || !this.options.device.relay || !record?.relay) {
        throw new KithError(
          'NODE_LOCKED',
          'This node has never run unlocked, so no friend knows its relay keys yet: start it once ' +
            'with its passphrase (--passphrase-file or KITH_PASSPHRASE_FILE).',
        );
      }
      this.own = state;
    } else {
      await this.openOwnState();
    }
    await this.learnRelayKeys();
    const me = [...this.own.devices.values()].find((d) => d.certificate.deviceId === this.deviceId);
    if (me?.status !== 'active') {
      throw new KithError(
        'DEVICE_REVOKED',
        'This device is not an active device of its user; run `kith recover`.',
      );
    }
    this.listener = await createLinkListener(
      {
        staticKeyPair: this.linkKeyPair,
        // Unlocked, the device key is answered too: peers without our address record v2 dial it.
        extraStaticKeyPairs: () =>
          this.options.device.relay && !this.locked ? [this.options.device.keys.agreement] : [],
        authorizeInitiator: (info) => this.authorize(info),
        lookupPsk: (id) => this.lookupPsk(id),
        host: this.options.host,
        port: this.options.port,
        clock: this.clock,
        random: this.random,
        logger: this.log,
        limits: this.options.linkLimits,
        registry: this.registry,
        replayGuard: new ReplayGuard(replayFile(`${this.options.dataDir}/link-replay.json`)),
      },
      (link) => this.onLink(link),
    );
    await this.options.windows?.start(this.listener, () => this.onlineSessions());
    await this.refreshOwnRecord();
    await this.relayLists.start();
    this.dialTimer = setInterval(() => {
      void this.dialDue();
      this.reach.tick();
    }, this.timing.dialTickMs);
    this.dialTimer.unref?.();
    this.log.info({ peerPort: this.listener.port, deviceId: this.deviceId }, 'peer port listening');
    void this.dialDue();
  }

  /** The device keys were unlocked: open the sealed state and sign a record with our relay keys. */
  async onUnlocked(): Promise<void> {
    await this.openOwnState();
    await this.refreshOwnRecord();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.dialTimer);
    this.relayLists.stop();
    this.holes.stop();
    this.options.windows?.stop();
    await this.listener?.close();
    await this.registry.closeAll();
  }

  /** psk lookups are answered by the pairing service; no pairing: silence. */
  lookupPsk: (inviteId: Uint8Array) => Promise<Uint8Array | undefined> = async () => undefined;

  private async authorize(info: InitiatorInfo): Promise<boolean> {
    if (info.mode === 'IKpsk2') return true; // the invite's psk already decrypted message 1
    const viaRelayKey = this.relayLinkKeys.get(toHex(info.staticKey));
    const row = viaRelayKey
      ? await this.identity.device(viaRelayKey)
      : await this.identity.deviceByStaticKey(info.staticKey);
    return row !== undefined && row.status === 'active' && (await this.isOursOrFriend(row.userId));
  }

  async admit(link: Link, cert: DeviceCertificate): Promise<void> {
    const row = await this.identity.device(cert.deviceId);
    if (row?.status !== 'active' || row.userId !== cert.userId || !(await this.isOursOrFriend(cert.userId))) {
      throw new KithError('DEVICE_REVOKED', 'The peer is not an active device of a friend.');
    }
    void link;
  }

  private onLink(link: Link): void {
    if (link.mode === 'IKpsk2') {
      if (this.onInviteLink) this.onInviteLink(link);
      else link.close();
      return;
    }
    this.startSession(link).catch((err) => {
      this.log.warn({ err }, 'peer: a link could not start its session');
      link.close();
    });
  }

  protected async startSession(link: Link, expected?: DeviceRow): Promise<void> {
    const existing = [...this.sessions.values()].find((s) => s.link === link);
    if (existing || !link.isOpen) return;
    const session = new PeerSession(
      link,
      this,
      expected && { deviceId: expected.deviceId, userId: expected.userId },
    );
    if (expected) this.adopt(session);
    await session.start();
  }

  private adopt(session: PeerSession): void {
    const previous = this.sessions.get(session.deviceId);
    this.sessions.set(session.deviceId, session);
    if (previous && previous !== session) previous.close();
    this.dialing.set(session.deviceId, { attempt: 0, nextAt: Number.POSITIVE_INFINITY, busy: false });
  }

  async helloFor(link: Link) {
    const me = [...this.own.devices.values()].find((d) => d.certificate.deviceId === this.deviceId)!;
    const seen =
      link.remoteAddress && link.remotePort
        ? formatAddress(normaliseHost(link.remoteAddress), link.remotePort)
        : '';
    return {
      v: 1,
      t: 'hello' as const,
      cert: me.certificate.bytes,
      logSeq: this.own.seq,
      logHead: this.own.head,
      seenAddress: seen,
    };
  }

  async onHello(session: PeerSession, hello: MessageOf<typeof HelloMessage>): Promise<void> {
    session.seenAs = hello.seenAddress;
    this.adopt(session);
    // The dialer cannot tell that it came in through our router's mapping: say so (link-kind.ts).
    if (cameThroughMapping(session, this.options.portMapping?.externalAddresses() ?? []))
      session.send({ v: 1, t: 'mapped-link', external: hello.seenAddress });
    this.reach.onLinkUp(session);
    this.options.windows?.onLinkUp(session);
    const now = this.clock();
    await this.peerStats.linkUp({
      deviceId: session.deviceId,
      userId: session.userId,
      at: now,
      dialed: session.link.initiator ? session.seenAddress : undefined,
    });
    this.options.events.publish('peer.online', { deviceId: session.deviceId, userId: session.userId });
    this.log.info({ peer: session.deviceId, user: session.userId }, 'peer online');
    await this.observe(session, hello.seenAddress);
    // Their log is newer than our copy: ask for it.
    const known = await this.identity.state(session.userId);
    if (!known || known.seq < hello.logSeq)
      session.send({ v: 1, t: 'log-request', user: session.userId, fromSeq: 0 });
    // Our own log may be newer than theirs; send it to friends and own devices alike.
    session.send({ v: 1, t: 'log-entries', user: this.userId, fromSeq: 0, entries: this.own.entries });
    // Own devices share everything we know: friends' logs and all address records.
    if (session.userId === this.userId) {
      for (const friend of await this.friends.list()) {
        const entries = await this.identity.entries(friend.userId);
        if (entries.length)
          session.send({ v: 1, t: 'log-entries', user: friend.userId, fromSeq: 0, entries });
      }
    }
    await this.sendRecords(session, undefined);
    await this.relayLists.onHello(session);
    await this.friendList.onHello(session);
  }

  async onRelayLists(session: PeerSession, lists: Uint8Array[]): Promise<void> {
    await this.budgetFor(session).spend(lists.length);
    await this.relayLists.onRelayLists(session, lists);
  }

  async onHeartbeat(session: PeerSession, heartbeat: MessageOf<typeof HeartbeatMessage>): Promise<void> {
    await this.peerStats.upsert({
      deviceId: session.deviceId,
      userId: session.userId,
      lastSeenAt: new Date(this.clock()),
      clockOffsetMs: session.clockOffsetMs === undefined ? null : Math.round(session.clockOffsetMs),
      roundTripMs: session.roundTripMs === undefined ? null : Math.round(session.roundTripMs),
    });
    await this.observe(session, heartbeat.seenAddress);
    await this.sendRecords(session, new Map(heartbeat.versions.map((v) => [v.device, v.seq])));
    this.reach.onHeartbeat(session);
    this.options.windows?.onHeartbeat(session);
  }

  /** The peer says our dial came in through its router's mapping; believed for the address we dialed. */
  async onMappedLink(session: PeerSession, message: MessageOf<typeof MappedLinkMessage>): Promise<void> {
    if (session.link.initiator && message.external === session.seenAddress) session.dialedMapping = true;
  }

  async onWindowKey(session: PeerSession, message: MessageOf<typeof WindowKeyMessage>): Promise<void> {
    await this.options.windows?.onWindowKey(session, message);
  }

  protected async afterDialFailed(target: DeviceRow): Promise<void> {
    await this.holes.afterDialFailed(target);
  }

  /** An active device of our user or of a friend: one we would link to. */
  async punchTarget(deviceId: string): Promise<DeviceRow | undefined> {
    const row = await this.identity.device(deviceId);
    return row?.status === 'active' && deviceId !== this.deviceId && (await this.isOursOrFriend(row.userId))
      ? row
      : undefined;
  }

  async dialPunched(socket: Socket, target: DeviceRow, address: string): Promise<void> {
    const record = await this.addresses.get(target.deviceId);
    const link = await connectLink({
      url: `ws://${address}`,
      socket,
      staticKeyPair: this.dialKeyPair,
      remoteStaticKey: record?.relay?.linkKey ?? target.staticPublicKey,
      clock: this.clock,
      random: this.random,
      logger: this.log,
      limits: this.options.linkLimits,
      registry: this.registry,
    });
    await this.startSession(link, target);
  }

  answerPunched(socket: Socket): void {
    if (this.listener) this.listener.adopt(socket);
    else socket.destroy();
  }

  async onReach(session: PeerSession, message: MessageOf<typeof ReachMessage>): Promise<void> {
    await this.reach.onReach(session, message);
  }

  async onDeliver(session: PeerSession, message: MessageOf<typeof DeliverMessage>): Promise<void> {
    await this.delivery?.onDeliver(session, message);
  }

  async onDeliverRefused(
    session: PeerSession,
    message: MessageOf<typeof DeliverRefusedMessage>,
  ): Promise<void> {
    await this.delivery?.onDeliverRefused(session, message);
  }

  async onArchive(session: PeerSession, message: ArchiveSessionMessage): Promise<void> {
    await this.archive?.onArchive(session, message);
  }

  async peers(): Promise<PeerView[]> {
    const stats = new Map((await this.peerStats.all()).map((p) => [p.deviceId, p]));
    const records = new Map<string, AddressRecord>((await this.addresses.all()).map((r) => [r.deviceId, r]));
    const friendIds = new Set((await this.friends.list()).map((f) => f.userId));
    const mapped = this.options.portMapping?.externalAddresses() ?? [];
    return (await this.identity.allDevices())
      .filter((d) => d.deviceId !== this.deviceId && (d.userId === this.userId || friendIds.has(d.userId)))
      .map((d) => {
        const s = this.sessions.get(d.deviceId);
        const p = stats.get(d.deviceId);
        const online = s?.ready === true;
        const via = online ? 0 : this.routesTo(d.deviceId).length;
        return {
          deviceId: d.deviceId,
          userId: d.userId,
          own: d.userId === this.userId,
          online,
          address: online ? displayAddress(s!, records.get(d.deviceId)) : (p?.lastAddress ?? null),
          addresses: records.get(d.deviceId)?.addresses ?? [],
          lastSeenAt: p?.lastSeenAt ? p.lastSeenAt.toISOString() : null,
          clockOffsetMs:
            online && s!.clockOffsetMs !== undefined
              ? Math.round(s!.clockOffsetMs)
              : (p?.clockOffsetMs ?? null),
          roundTripMs:
            online && s!.roundTripMs !== undefined ? Math.round(s!.roundTripMs) : (p?.roundTripMs ?? null),
          status: d.status,
          link: linkKind(s, via, mapped),
        };
      });
  }
}

/** The peer's listening address when its record has one on the host we see it at. */
function displayAddress(session: PeerSession, record: AddressRecord | undefined): string | null {
  const seen = session.seenAddress;
  if (!seen) return null;
  if (session.link.initiator) return seen;
  const host = hostOf(seen);
  return record?.addresses.find((a) => hostOf(a) === host) ?? seen;
}
