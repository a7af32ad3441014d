/**
 * The state every part of the peer node shares (peer-node.ts): its repositories, its links and
 * sessions, its own identity log, the relay keys it knows, and the lookups on them. The parts
 * that act on this state are layered on top, one concern per file: identity-log-sync.ts,
 * own-address.ts, peer-dialer.ts, and peer-node.ts itself (start, admission, session callbacks).
 */
import type { AddressRecord } from '@kith/core/address-record';
import { constantTimeEqual, toHex } from '@kith/core/crypto/index';
import type { LogState } from '@kith/core/identity/log';
import { DEFAULT_BACKOFF } from '@kith/core/net/backoff';
import type { AgentComponents } from '../components.ts';
import { type LinkListener, LinkRegistry } from '../link/index.ts';
import { AddressRepository } from '../repositories/address-repository.ts';
import { FriendRepository } from '../repositories/friend-repository.ts';
import { IdentityRepository } from '../repositories/identity-repository.ts';
import { PeerRepository } from '../repositories/peer-repository.ts';
import { ReachGossip, defaultReachTiming } from './reach-gossip.ts';
import { RelayListGossip } from './relay-list-gossip.ts';
import type { PeerSession } from './peer-session.ts';
import { type WorkBudget, WorkBudgets } from './work-budget.ts';
import type { PeerNodeOptions, PeerTiming } from './peer-node-options.ts';

export abstract class PeerNodeBase {
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
  protected readonly timing: PeerTiming;
  protected readonly sessions = new Map<string, PeerSession>();
  protected readonly dialing = new Map<string, { attempt: number; nextAt: number; busy: boolean }>();
  /** Per peer device, kept across its links so reconnecting does not refill it. */
  protected readonly budgets: WorkBudgets;
  protected listener: LinkListener | undefined;
  protected own!: LogState;
  protected stopped = false;
  /** Relay link keys of known devices (hex -> device id), from their address records v2. */
  protected readonly relayLinkKeys = new Map<string, string>();

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

  /**
   * The static key this device dials with. Unlocked, the device key: every own and friend device
   * knows it from the identity log, also one that has not yet received our signed record v2 (a
   * device enrolled with an unlock passphrase must reach the inviter before it can send that
   * record). Locked, the relay link key, which the record certifies.
   */
  get dialKeyPair() {
    return this.locked ? this.linkKeyPair : this.staticKeyPair;
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

  protected async learnRelayKeys(): Promise<void> {
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

  protected async isOursOrFriend(userId: string): Promise<boolean> {
    return userId === this.userId || (await this.friends.isFriend(userId));
  }

  /** The work budget of the peer device behind a session (work-budget.ts). */
  budgetFor(session: PeerSession): WorkBudget {
    return this.budgets.of(session.deviceId);
  }

  /** The ready session to a device, if it is online. */
  session(deviceId: string): PeerSession | undefined {
    const s = this.sessions.get(deviceId);
    return s?.ready ? s : undefined;
  }

  onlineSessions(): PeerSession[] {
    return [...this.sessions.values()].filter((s) => s.ready);
  }

  isOnline(deviceId: string): boolean {
    return this.sessions.get(deviceId)?.ready === true;
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

  /** A node bound to one address dials from it, so peers see the address it advertises. */
  sourceAddress(): { localAddress?: string } {
    const h = this.options.host;
    return h === '0.0.0.0' || h === '::' ? {} : { localAddress: h };
  }

  /** Looks for devices without a link and dials those due (peer-dialer.ts). */
  abstract dialDue(): Promise<void>;
}
