/**
 * The peer node (docs/DESIGN.md §6): listens on the peer port, keeps one link to every active device of
 * its user and of its friends, exchanges identity logs, heartbeats and address records, and
 * re-dials with jittered backoff. A change of its own address bumps its signed record, which
 * is gossiped at once, and every known node is tried again.
 */
import {
  type AddressRecord,
  peekAddressRecord,
  signAddressRecord,
  verifyAddressRecord,
} from '@kith/core/address-record';
import { constantTimeEqual, toHex } from '@kith/core/crypto/index';
import { KithError, isKithError } from '@kith/core/errors';
import type { DeviceCertificate } from '@kith/core/identity/certificate';
import { deriveRootKeys } from '@kith/core/identity/derive';
import { type LogState, appendEntry, findDevice } from '@kith/core/identity/log';
import { checkPhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { type BackoffOptions, DEFAULT_BACKOFF, backoffDelay } from '@kith/core/net/backoff';
import type { MessageOf } from '@kith/core/wire/message';
import type { DeliverMessage, DeliverRefusedMessage } from '@kith/core/wire/deliver';
import type { HelloMessage } from '@kith/core/wire/hello';
import type { HeartbeatMessage } from '@kith/core/wire/heartbeat';
import type { LogEntriesMessage, LogRequestMessage } from '@kith/core/wire/identity-log';
import type { ReachMessage } from '@kith/core/wire/reach';
import type { AgentComponents } from '../components.ts';
import type { EventBus } from '../event-bus.ts';
import {
  type InitiatorInfo,
  type Link,
  type LinkLimits,
  type LinkListener,
  LinkRegistry,
  connectLink,
  createLinkListener,
} from '../link/index.ts';
import type { UnlockedDevice } from '../keystore/index.ts';
import type { RelayKeyPairs } from '../keystore/relay-key-file.ts';
import { readBootstrap, readIdentityLog, removeBootstrap, writeIdentityLog } from '../keystore/index.ts';
import { AddressRepository } from '../repositories/address-repository.ts';
import { FriendRepository } from '../repositories/friend-repository.ts';
import { type DeviceRow, IdentityRepository } from '../repositories/identity-repository.ts';
import { PeerRepository } from '../repositories/peer-repository.ts';
import { formatAddress, hostOf, listeningAddresses, normaliseHost, observedHost } from './own-addresses.ts';
import { ReachGossip, type ReachTiming, defaultReachTiming } from './reach-gossip.ts';
import { RelayListGossip } from './relay-list-gossip.ts';
import { type ArchiveSessionMessage, PeerSession, type SessionHost } from './peer-session.ts';
import { recordsToCheck } from './address-intake.ts';
import { type WorkBudget, type WorkBudgetOptions, WorkBudgets } from './work-budget.ts';

export interface PeerTiming {
  heartbeatMeanMs: number;
  /** How often the dialer looks for devices without a link. */
  dialTickMs: number;
  backoff: BackoffOptions;
}

export interface PeerNodeOptions {
  dataDir: string;
  /** Address the peer port binds (KITH_HOST). */
  host: string;
  port: number;
  /** Where friends reach us when that differs from the bind (KITH_ANNOUNCE): advertised instead. */
  announce?: readonly string[];
  /** A DeviceKeyring (keystore/device-keyring.ts) may be locked and carry relay keys. */
  device: UnlockedDevice & { readonly locked?: boolean; readonly relay?: RelayKeyPairs };
  components: AgentComponents;
  events: EventBus;
  timing?: Partial<PeerTiming>;
  /** Reach gossip timing (default: scaled from the heartbeat mean). */
  reach?: Partial<ReachTiming>;
  linkLimits?: Partial<LinkLimits>;
  /** Signature checks per second one peer device's gossip may cost (default DEFAULT_WORK_BUDGET). */
  workBudget?: WorkBudgetOptions;
}

export interface DeliveryHandler {
  onDeliver(session: PeerSession, message: MessageOf<typeof DeliverMessage>): Promise<void>;
  onDeliverRefused(session: PeerSession, message: MessageOf<typeof DeliverRefusedMessage>): Promise<void>;
}

/** Archive replication (services/agent/src/archive): store, receipt, refusal, challenge, proof. */
export interface ArchiveHandler {
  onArchive(session: PeerSession, message: ArchiveSessionMessage): Promise<void>;
}

/** What to do when a friend holds a longer copy of our own log than this device (a fork). */
export const OWN_FORK_HINT =
  'A friend holds another copy of your identity log: this device was recovered on a fresh copy. ' +
  'On an empty data dir run `kith recover --phrase-file F --invite CODE` with an invite from that friend.';

/** Hosts seen by peers that we add to our record; the newest few only. */
const MAX_OBSERVED = 2;
/** Hosts whose sightings are remembered while waiting for a second user to confirm them. */
const MAX_SIGHTINGS = 16;

export interface PeerView {
  deviceId: string;
  userId: string;
  own: boolean;
  online: boolean;
  address: string | null;
  addresses: string[];
  lastSeenAt: string | null;
  clockOffsetMs: number | null;
  roundTripMs: number | null;
  status: string;
}

export class PeerNode implements SessionHost {
  readonly name = 'peer-node';
  readonly identity: IdentityRepository;
  readonly friends: FriendRepository;
  readonly addresses: AddressRepository;
  readonly peerStats: PeerRepository;
  /** Our user's signed relay list and the lists of friends (docs/DESIGN.md §7). */
  readonly relayLists: RelayListGossip;
  /** Which devices each linked peer can reach (docs/DESIGN.md §7, peer/reachability.ts). */
  readonly reach: ReachGossip;
  readonly registry = new LinkRegistry();
  readonly clock: () => number;
  readonly random: (n: number) => Uint8Array;
  readonly heartbeatMeanMs: number;
  readonly log: AgentComponents['logger'];
  private readonly timing: PeerTiming;
  private readonly sessions = new Map<string, PeerSession>();
  private readonly dialing = new Map<string, { attempt: number; nextAt: number; busy: boolean }>();
  /** Per peer device, kept across its links so reconnecting does not refill it. */
  private readonly budgets: WorkBudgets;
  private listener: LinkListener | undefined;
  private dialTimer: ReturnType<typeof setInterval> | undefined;
  private observedHosts: string[] = [];
  /** Outside hosts peers saw us at, and which users saw each (most recent last). */
  private readonly sightings = new Map<string, Set<string>>();
  private ownRecord: AddressRecord | undefined;
  private own!: LogState;
  private stopped = false;
  /** Hook for pairing: links opened with an invite (IKpsk2). */
  onInviteLink: ((link: Link) => void) | undefined;
  /** Hook for messaging: items carried between devices. */
  delivery: DeliveryHandler | undefined;
  /** Hook for archive replication: copies held for and by other devices. */
  archive: ArchiveHandler | undefined;

  constructor(readonly options: PeerNodeOptions) {
    const { db, clock, random, logger } = options.components;
    this.identity = new IdentityRepository(db.db, clock);
    this.friends = new FriendRepository(db.db, clock);
    this.addresses = new AddressRepository(db.db, clock);
    this.peerStats = new PeerRepository(db.db);
    this.relayLists = new RelayListGossip(this);
    this.clock = clock;
    this.random = random;
    this.log = logger.child({ part: 'peer' });
    this.timing = {
      heartbeatMeanMs: options.timing?.heartbeatMeanMs ?? 15_000,
      dialTickMs: options.timing?.dialTickMs ?? 250,
      backoff: options.timing?.backoff ?? DEFAULT_BACKOFF,
    };
    this.heartbeatMeanMs = this.timing.heartbeatMeanMs;
    this.budgets = new WorkBudgets(options.workBudget);
    this.reach = new ReachGossip(this, {
      ...defaultReachTiming(this.timing.heartbeatMeanMs),
      ...options.reach,
    });
  }

  get userId(): string {
    return this.options.device.header.userId;
  }
  get deviceId(): string {
    return this.options.device.header.deviceId;
  }
  /** The device's agreement key: invites name it (pairing runs unlocked only). */
  get staticKeyPair() {
    return this.options.device.keys.agreement;
  }
  /** Whether the device keys are closed (docs/SECURITY.md "Locked relay mode"). */
  get locked(): boolean {
    return this.options.device.locked === true;
  }
  /** The static key of this device's links: its relay link key when it has one. */
  get linkKeyPair() {
    return this.options.device.relay?.link ?? this.staticKeyPair;
  }
  /** The key of this device's storage receipts: its relay signing key when it has one. */
  get receiptSigner() {
    return this.options.device.relay?.signing ?? this.options.device.keys.signing;
  }
  get ownLog(): LogState {
    return this.own;
  }
  get port(): number {
    return this.listener?.port ?? this.options.port;
  }

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
      },
      (link) => this.onLink(link),
    );
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

  /** Reads what is sealed under the storage key: the log file and the bootstrap (unlocked only). */
  private async openOwnState(): Promise<void> {
    const fromFile = await readIdentityLog(this.options.dataDir, this.options.device);
    this.own = (await this.identity.merge(fromFile)).state;
    await this.syncOwnLogFile();
    await this.importBootstrap();
  }

  /** The device keys were unlocked: open the sealed state and sign a record with our relay keys. */
  async onUnlocked(): Promise<void> {
    await this.openOwnState();
    await this.refreshOwnRecord();
  }

  /** Relay link keys of known devices (hex -> device id), from their address records v2. */
  private readonly relayLinkKeys = new Map<string, string>();

  private async learnRelayKeys(): Promise<void> {
    for (const r of await this.addresses.all()) this.noteRelayKeys(r);
  }

  /** Stores a device's record if newer, and learns the relay link key it certifies. */
  async offerAddressRecord(record: AddressRecord): Promise<boolean> {
    const fresh = await this.addresses.offer(record);
    if (fresh) this.noteRelayKeys(record);
    return fresh;
  }

  private noteRelayKeys(record: AddressRecord): void {
    if (record.relay) this.relayLinkKeys.set(toHex(record.relay.linkKey), record.deviceId);
  }

  /** Whether `key` is the relay link key the device's own signed address record names. */
  async isRelayLinkKey(deviceId: string, key: Uint8Array): Promise<boolean> {
    const linkKey = (await this.addresses.get(deviceId))?.relay?.linkKey;
    return linkKey !== undefined && constantTimeEqual(linkKey, key);
  }

  /** The relay signing key a device's address record v2 certifies, if any. */
  async relaySignerOf(deviceId: string): Promise<Uint8Array | undefined> {
    return (await this.addresses.get(deviceId))?.relay?.relaySigner;
  }

  /**
   * A device enrolled from an invite was handed the inviter's address record, and one recovered
   * with a friend's invite that friend's log too (docs/PROTOCOL.md §9): record the friend, dial
   * it first. Imported once; the file is then removed.
   */
  private async importBootstrap(): Promise<void> {
    const bootstrap = await readBootstrap(this.options.dataDir, this.options.device);
    for (const entries of bootstrap.friendLogs) {
      try {
        const { state } = await this.identity.merge(entries);
        if (state.userId === this.userId || (await this.friends.isFriend(state.userId))) continue;
        if (await this.friends.isBlocked(state.userId)) continue;
        await this.friends.add(state.userId, state.name || null);
        this.options.events.publish('friend.added', { userId: state.userId, via: 'recovery' });
      } catch (err) {
        this.log.warn(
          { code: isKithError(err) ? err.code : undefined },
          'peer: a handed-over log was refused',
        );
      }
    }
    for (const bytes of bootstrap.records) {
      try {
        const record = verifyAddressRecord(bytes);
        if (await this.identity.device(record.deviceId)) await this.offerAddressRecord(record);
      } catch {}
    }
    if (bootstrap.records.length || bootstrap.friendLogs.length) await removeBootstrap(this.options.dataDir);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.dialTimer);
    this.relayLists.stop();
    await this.listener?.close();
    await this.registry.closeAll();
  }

  // --- admission -------------------------------------------------------------------------

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

  private async isOursOrFriend(userId: string): Promise<boolean> {
    return userId === this.userId || (await this.friends.isFriend(userId));
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

  private async startSession(link: Link, expected?: DeviceRow): Promise<void> {
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

  // --- session callbacks -----------------------------------------------------------------

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
    this.adopt(session);
    this.reach.onLinkUp(session);
    const now = this.clock();
    await this.peerStats.upsert({
      deviceId: session.deviceId,
      userId: session.userId,
      lastAddress: session.link.initiator ? session.seenAddress : null,
      lastSeenAt: new Date(now),
      lastConnectedAt: new Date(now),
      failures: 0,
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
  }

  async onLogRequest(session: PeerSession, request: MessageOf<typeof LogRequestMessage>): Promise<void> {
    const allowed =
      request.user === this.userId || request.user === session.userId || session.userId === this.userId;
    if (!allowed) return;
    const entries = await this.identity.entries(request.user);
    if (entries.length) session.send({ v: 1, t: 'log-entries', user: request.user, fromSeq: 0, entries });
  }

  async onLogEntries(session: PeerSession, message: MessageOf<typeof LogEntriesMessage>): Promise<void> {
    // A friend may tell us about itself; only our own devices tell us about anyone else.
    const fromOwn = session.userId === this.userId;
    if (!fromOwn && message.user !== session.userId) return;
    // A copy we already hold (all of it, or a prefix) says nothing new: no signature is checked.
    const known = await this.identity.entries(message.user);
    if (
      message.entries.length <= known.length &&
      message.entries.every((e, i) => constantTimeEqual(e, known[i]!))
    )
      return;
    // Merging checks every entry's signature, about twice over.
    await this.budgetFor(session).spend(2 * message.entries.length);
    let result: Awaited<ReturnType<IdentityRepository['merge']>>;
    try {
      result = await this.identity.merge(message.entries);
    } catch (err) {
      if (isKithError(err, 'LOG_FORK')) {
        // Our own log forked: this device was recovered on a fresh copy (SECURITY.md "Known gaps").
        // Never merged silently; the user re-recovers from a friend's copy.
        this.options.events.publish('identity.fork', {
          userId: message.user,
          from: session.deviceId,
          ...(message.user === this.userId ? { hint: OWN_FORK_HINT } : {}),
        });
      }
      this.log.warn(
        { code: isKithError(err) ? err.code : undefined, user: message.user },
        'peer: refused a log copy',
      );
      return;
    }
    if (result.state.userId !== message.user) return;
    if (result.state.userId === this.userId) {
      if (result.changed) {
        this.own = result.state;
        await this.syncOwnLogFile();
        this.broadcastOwnLog();
      }
    } else if (
      fromOwn &&
      !(await this.friends.isFriend(result.state.userId)) &&
      !(await this.friends.isBlocked(result.state.userId))
    ) {
      await this.friends.add(result.state.userId, result.state.name || null);
      this.options.events.publish('friend.added', { userId: result.state.userId, via: session.deviceId });
    }
    if (result.changed) {
      this.options.events.publish('identity.updated', { userId: result.state.userId, seq: result.state.seq });
      await this.closeRevokedLinks();
      void this.dialDue();
    }
  }

  /** Sends our log to every linked device (friends and own): a new device or a revocation must reach them. */
  broadcastOwnLog(): void {
    for (const s of this.sessions.values()) {
      if (s.ready)
        s.send({ v: 1, t: 'log-entries', user: this.userId, fromSeq: 0, entries: this.own.entries });
    }
  }

  /** Applies a new state of our own log (from pairing) and tells everyone. */
  async adoptOwnLog(entries: Uint8Array[]): Promise<void> {
    const result = await this.identity.merge(entries);
    this.own = result.state;
    await this.syncOwnLogFile();
    this.broadcastOwnLog();
    await this.closeRevokedLinks();
    void this.dialDue();
  }

  /**
   * A friend's log extended outside a link (recovery with an invite, docs/PROTOCOL.md §9): store
   * it, pass it to our own devices, and drop links to devices it revokes.
   */
  async adoptFriendLog(entries: Uint8Array[]): Promise<LogState> {
    const result = await this.identity.merge(entries);
    const user = result.state.userId;
    if (result.changed) {
      for (const s of this.sessions.values()) {
        if (s.ready && s.userId === this.userId)
          s.send({ v: 1, t: 'log-entries', user, fromSeq: 0, entries: result.state.entries });
      }
      this.options.events.publish('identity.updated', { userId: user, seq: result.state.seq });
      await this.closeRevokedLinks();
      void this.dialDue();
    }
    return result.state;
  }

  /** Revokes one of our devices with the root key from the phrase (docs/DESIGN.md §4), and tells everyone. */
  async revokeDevice(
    deviceId: string,
    phrase: string,
    bip39Passphrase = '',
  ): Promise<{ deviceId: string; index: number }> {
    const root = deriveRootKeys(phraseToSeed(checkPhrase(phrase), bip39Passphrase));
    if (root.userId !== this.userId)
      throw new KithError('PHRASE_INVALID', 'It is the phrase of another user than this device’s.');
    const record = findDevice(this.own, deviceId);
    if (!record)
      throw new KithError('INVALID_INPUT', `Device ${deviceId} is not one of this user's devices.`);
    if (record.status === 'revoked')
      throw new KithError('DEVICE_REVOKED', `Device ${deviceId} is already revoked.`);
    if (deviceId === this.deviceId)
      throw new KithError('INVALID_INPUT', 'A device does not revoke itself; run this on another device.');
    const state = appendEntry(
      this.own,
      { kind: 'root', seed: root.root.seed },
      { type: 'revoke-device', index: record.certificate.index, reason: 'revoked by its owner' },
      this.clock(),
    );
    await this.adoptOwnLog(state.entries);
    this.options.events.publish('device.revoked', { deviceId });
    return { deviceId, index: record.certificate.index };
  }

  /** Closes every link to `userId`'s devices (after unfriending); returns how many. */
  closeLinksOf(userId: string): number {
    let closed = 0;
    for (const s of [...this.sessions.values()]) {
      if (s.userId !== userId) continue;
      s.close();
      closed++;
    }
    return closed;
  }

  private async closeRevokedLinks(): Promise<void> {
    for (const s of [...this.sessions.values()]) {
      const row = await this.identity.device(s.deviceId);
      if (row?.status !== 'active') s.close();
    }
  }

  /**
   * Address records from a peer: the cheap checks first (address-intake.ts), then the
   * signatures of what is left, within the peer's work budget.
   */
  async onAddressRecords(session: PeerSession, records: Uint8Array[]): Promise<void> {
    if (records.length === 0) return;
    const due = await recordsToCheck(records, {
      ownDeviceId: this.deviceId,
      senderUserId: session.userId,
      fromOwn: session.userId === this.userId,
      held: await this.addresses.versions(),
      devices: new Map((await this.identity.allDevices()).map((d) => [d.deviceId, d])),
      isRelated: (userId) => this.isOursOrFriend(userId),
    });
    if (due.length === 0) return;
    await this.budgetFor(session).spend(due.length);
    let fresh = false;
    for (const bytes of due) {
      let record: AddressRecord;
      try {
        record = verifyAddressRecord(bytes);
      } catch {
        continue;
      }
      if (await this.offerAddressRecord(record)) {
        fresh = true;
        const d = this.dialing.get(record.deviceId);
        if (d && !this.sessions.has(record.deviceId)) d.nextAt = 0; // try the new address now
      }
    }
    if (fresh) {
      this.options.events.publish('addresses.updated', { from: session.deviceId });
      void this.dialDue();
    }
  }

  /** The work budget of the peer device behind a session (work-budget.ts). */
  budgetFor(session: PeerSession): WorkBudget {
    return this.budgets.of(session.deviceId);
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

  /** The ready session to a device, if it is online. */
  session(deviceId: string): PeerSession | undefined {
    const s = this.sessions.get(deviceId);
    return s?.ready ? s : undefined;
  }

  onlineSessions(): PeerSession[] {
    return [...this.sessions.values()].filter((s) => s.ready);
  }

  /**
   * Linked peers that reported a route to `deviceId` (reach gossip), fewest links first, at most
   * `maxDistance` links from here; never the device itself (its own link is `session()`).
   */
  routesTo(deviceId: string, maxDistance?: number): PeerSession[] {
    const out: PeerSession[] = [];
    for (const r of this.reach.table.routesTo(deviceId, this.clock(), maxDistance)) {
      const s = r.via === deviceId ? undefined : this.session(r.via);
      if (s) out.push(s);
    }
    return out;
  }

  async versions(): Promise<{ device: string; seq: number }[]> {
    return [...(await this.addresses.versions())].map(([device, seq]) => ({ device, seq }));
  }

  /** Sends the records the peer lacks: to a friend only our own devices', to our devices all. */
  private async sendRecords(session: PeerSession, theirs: Map<string, number> | undefined): Promise<void> {
    const mine = session.userId === this.userId;
    const ownIds = new Set([...this.own.devices.values()].map((d) => d.certificate.deviceId));
    const records = (await this.addresses.all()).filter(
      (r) =>
        r.deviceId !== session.deviceId &&
        (mine || ownIds.has(r.deviceId)) &&
        (theirs === undefined || (theirs.get(r.deviceId) ?? -1) < r.seq),
    );
    if (records.length) session.send({ v: 1, t: 'address-records', records: records.map((r) => r.bytes) });
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

  // --- own address ------------------------------------------------------------------------

  /**
   * A peer reports where it sees us: a new outside host means our address changed. Our record
   * goes to every friend, so one friend alone must not steer it (docs/SECURITY.md "A friend
   * turned hostile"): only IP literals, and only once two distinct users saw us there.
   */
  private async observe(session: PeerSession, seenAddress: string): Promise<void> {
    // An announced address is the operator's word: sightings from behind a NAT or a container
    // port mapping would only add addresses nobody can dial.
    if (this.options.announce?.length) return;
    const host = observedHost(seenAddress, this.port);
    if (host === undefined) return;
    const advertised = listeningAddresses(this.options.host, this.port).map(hostOf);
    if (advertised.includes(host) || this.observedHosts.includes(host)) return;
    // Loopback sightings say nothing about the outside unless we listen on loopback ourselves.
    if ((host.startsWith('127.') || host === '::1') && !this.options.host.startsWith('127.')) return;
    const seenBy = this.sightings.get(host) ?? new Set<string>();
    seenBy.add(session.userId);
    this.sightings.delete(host);
    this.sightings.set(host, seenBy);
    for (const oldest of this.sightings.keys()) {
      if (this.sightings.size <= MAX_SIGHTINGS) break;
      this.sightings.delete(oldest);
    }
    if (seenBy.size < 2) return;
    await this.refreshOwnRecord([host, ...this.observedHosts].slice(0, MAX_OBSERVED));
  }

  ownAddresses(observed: readonly string[] = this.observedHosts): string[] {
    if (this.options.announce?.length) return [...this.options.announce];
    const base = listeningAddresses(this.options.host, this.port);
    return [...new Set([...base, ...observed.map((h) => formatAddress(h, this.port))])];
  }

  get ownAddressRecord(): AddressRecord | undefined {
    return this.ownRecord;
  }

  /**
   * Re-signs our record when our addresses changed; gossips it and tries every known node.
   * `observed` (outside hosts peers saw us at) is kept only once a record with it is signed.
   */
  private async refreshOwnRecord(observed: readonly string[] = this.observedHosts): Promise<void> {
    const addresses = this.ownAddresses(observed);
    const current = this.ownRecord ?? (await this.addresses.get(this.deviceId));
    const relay = this.options.device.relay;
    const relayCertified =
      !relay ||
      (current?.relay !== undefined && constantTimeEqual(current.relay.linkKey, relay.link.publicKey));
    if (current && ((sameSet(current.addresses, addresses) && relayCertified) || this.locked)) {
      // Locked, the device key cannot sign: the record signed while unlocked stands.
      this.observedHosts = [...observed];
      this.ownRecord = current;
      return;
    }
    if (this.locked) return;
    const bytes = signAddressRecord(this.options.device.keys.signing, {
      seq: (current?.seq ?? -1) + 1,
      addresses,
      issuedAt: this.clock(),
      ...(relay ? { relay: { linkKey: relay.link.publicKey, relaySigner: relay.signing.publicKey } } : {}),
    });
    this.observedHosts = [...observed];
    this.ownRecord = verifyAddressRecord(bytes);
    await this.offerAddressRecord(this.ownRecord);
    this.log.info({ addresses, seq: this.ownRecord.seq }, 'own address record updated');
    this.options.events.publish('addresses.changed', { addresses, seq: this.ownRecord.seq });
    for (const s of this.sessions.values()) {
      if (s.ready) s.send({ v: 1, t: 'address-records', records: [bytes] });
    }
    if (current) {
      // Our address changed: try every known node now (docs/DESIGN.md §6).
      for (const d of this.dialing.values()) d.nextAt = 0;
      void this.dialDue();
    }
  }

  private async syncOwnLogFile(): Promise<void> {
    if (this.locked) return; // written at the unlock (openOwnState)
    await writeIdentityLog(this.options.dataDir, this.options.device, this.own.entries);
  }

  // --- dialing ----------------------------------------------------------------------------

  private async targets(): Promise<DeviceRow[]> {
    const friendIds = new Set((await this.friends.list()).map((f) => f.userId));
    return (await this.identity.allDevices()).filter(
      (d) =>
        d.status === 'active' &&
        d.deviceId !== this.deviceId &&
        (d.userId === this.userId || friendIds.has(d.userId)),
    );
  }

  private dialBusy = false;

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
            staticKeyPair: this.linkKeyPair,
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
      state.nextAt = this.clock() + backoffDelay(state.attempt, this.random, this.timing.backoff);
    } catch (err) {
      if (!this.stopped) this.log.warn({ err, peer: target.deviceId }, 'dial failed');
    } finally {
      state.busy = false;
    }
  }

  /** A node bound to one address dials from it, so peers see the address it advertises. */
  sourceAddress(): { localAddress?: string } {
    const h = this.options.host;
    return h === '0.0.0.0' || h === '::' ? {} : { localAddress: h };
  }

  // --- views ------------------------------------------------------------------------------

  isOnline(deviceId: string): boolean {
    return this.sessions.get(deviceId)?.ready === true;
  }

  async peers(): Promise<PeerView[]> {
    const stats = new Map((await this.peerStats.all()).map((p) => [p.deviceId, p]));
    const records = new Map<string, AddressRecord>((await this.addresses.all()).map((r) => [r.deviceId, r]));
    const friendIds = new Set((await this.friends.list()).map((f) => f.userId));
    return (await this.identity.allDevices())
      .filter((d) => d.deviceId !== this.deviceId && (d.userId === this.userId || friendIds.has(d.userId)))
      .map((d) => {
        const s = this.sessions.get(d.deviceId);
        const p = stats.get(d.deviceId);
        const online = s?.ready === true;
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

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
