/**
 * Messages between friends (issue "Network agent II", docs/DESIGN.md §5, §7). Each item (a chat message
 * sealed under the sender's epoch key, an epoch-key envelope, a receipt) takes the first route
 * that works:
 *   1. straight to each target device that is online;
 *   2. otherwise to a linked peer that gossiped a route to the target (peer/reachability.ts);
 *   3. otherwise handed to the online peers on the target user's signed relay list (docs/DESIGN.md §7),
 *      or, when none of those is online, to every online peer: one that has a link to the
 *      target forwards it (bounded hops), one that relays for the target's user holds it;
 * and the sender keeps it in its outbox until the target's signed "delivered" receipt arrives,
 * sending it again on every new link to the target. Items are deduplicated by id everywhere.
 *
 * Throughput (ARCHITECTURE "Messaging performance"): directory facts come from an in-memory
 * cache; both sides commit in groups (one transaction per batch of whatever queued while the
 * last one ran) and send from memory after their commit; a receiver signs one v2 receipt per
 * (origin, batch); public-key work is one signature and one verification per message.
 */
import type { CryptoBackend } from '@kith/core/crypto/backend';
import { defaultBackend, toHex } from '@kith/core/crypto/index';
import { KithError, isKithError } from '@kith/core/errors';
import { type ChatBody, sealChatMessage } from '@kith/core/messaging/chat-message';
import { directConversationId } from '@kith/core/messaging/direct-conversation';
import { itemId } from '@kith/core/messaging/item-id';
import type { DeliverRefusedMessage } from '@kith/core/wire/deliver';
import { MAX_HOPS } from '@kith/core/wire/deliver';
import type { MessageOf } from '@kith/core/wire/message';
import type { AgentEvent } from '../event-bus.ts';
import { ErasureKeys, erasureKeysPath } from '../keystore/erasure-keys.ts';
import type { PeerNode } from '../peer/peer-node.ts';
import type { PeerSession } from '../peer/peer-session.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';
import { MessageRepository } from '../repositories/message-repository.ts';
import { RelayQueueRepository } from '../repositories/relay-queue-repository.ts';
import { type Deliver, RETRY_LATER_CODES } from './deliver.ts';
import { DirectoryCache } from './directory-cache.ts';
import { Epochs } from './epochs.ts';
import { GroupCommit } from './group-commit.ts';
import { Inbox } from './inbox.ts';
import type { SentMessage } from './message-sql.ts';
import { MessageViews } from './message-views.ts';
import {
  BATCH_MAX,
  type ConversationItemHandler,
  DEFAULT_MESSENGER_OPTIONS,
  type MessageView,
  type MessengerOptions,
} from './messenger-options.ts';
import { OutboxPump, RETRY_REFUSED_AFTER_PUMPS } from './outbox-pump.ts';
import type { OwnDevice } from './own-device.ts';
import { ownSigningBackend } from './own-signer.ts';
import { Prekeys } from './prekeys.ts';
import { DEFAULT_SECRECY_SCHEDULE, type SecrecySchedule } from './secrecy-schedule.ts';
import { SecrecySweep, type SweepResult } from './secrecy-sweep.ts';
import { Receipts } from './receipts.ts';
import { RelayForwarding } from './relay-forwarding.ts';
import { RelayHold } from './relay-hold.ts';

export {
  type ConversationItemHandler,
  DEFAULT_MESSENGER_OPTIONS,
  type MessageView,
  type MessengerOptions,
} from './messenger-options.ts';

/** Received items waiting for their batch beyond which a link waits for them (back-pressure). */
const INBOX_MAX = 2000;

/** A message this device made, waiting for its group commit. */
type Outgoing = SentMessage;

/**
 * The messenger: sending, and the wiring of its parts — epochs (epochs.ts), the outbox
 * (outbox-pump.ts), receiving (inbox.ts), receipts (receipts.ts), relaying
 * (relay-forwarding.ts, relay-hold.ts) and reading (message-views.ts).
 */
export class Messenger {
  readonly name = 'messenger';
  private readonly options: MessengerOptions;
  private timer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly directory: DirectoryCache;
  /** The device's signing key, with its KeyObject built once on the native backend. */
  private ownBackend: { seed: Uint8Array; backend: CryptoBackend } | undefined;
  private readonly repo: MessageRepository;
  private readonly epochs: Epochs;
  private readonly outbox: OutboxPump;
  private readonly receipts: Receipts;
  private readonly forwarding: RelayForwarding;
  private readonly views: MessageViews;
  private readonly sends: GroupCommit<Outgoing>;
  private readonly inbox: Inbox;
  /** Items held for offline devices, within the relay quotas. */
  private readonly relay: RelayHold;
  /** Forward secrecy (docs/SECURITY.md "Forward secrecy"): prekeys, erasure, the sweep. */
  private readonly schedule: SecrecySchedule;
  private readonly erasure: ErasureKeys;
  readonly prekeys: Prekeys;
  private readonly sweep: SecrecySweep;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  /** Conversation items go to the conversation service. */
  conversationHandler: ConversationItemHandler | undefined;

  constructor(
    private readonly node: PeerNode,
    options: Partial<MessengerOptions> = {},
  ) {
    this.options = { ...DEFAULT_MESSENGER_OPTIONS, ...options };
    const db = node.options.components.db.db;
    const backend = () => this.backend;
    const own: OwnDevice = {
      clock: node.clock,
      deviceId: node.deviceId,
      get signing() {
        return node.options.device.keys.signing;
      },
      get backend() {
        return backend();
      },
    };
    this.repo = new MessageRepository(db);
    this.directory = new DirectoryCache(node);
    this.receipts = new Receipts(node, own, this.repo);
    this.relay = new RelayHold(
      node,
      this.directory,
      defaultBackend(),
      {
        totalBytes: this.options.totalQuotaBytes,
        userBytes: this.options.userQuotaBytes,
        userItems: this.options.userQuotaItems,
        holdMs: this.options.holdMs,
      },
      (origin, target, id) => this.receipts.confirm(origin, target, 'relayed', id),
    );
    this.forwarding = new RelayForwarding(
      node,
      own,
      new RelayQueueRepository(db),
      this.relay,
      this.directory,
      this.options,
      {
        confirm: (origin, target, state, id) => this.receipts.confirm(origin, target, state, id),
        pump: () => this.pump(),
        accept: (kind, item, origin, id, from) => this.inbox.accept(kind, item, origin, id, from),
      },
    );
    this.outbox = new OutboxPump(node, this.repo, this.options, async () => {
      await this.forwarding.expireHeld();
      await this.forwarding.reflushDue();
    });
    this.schedule = { clock: node.clock, ...DEFAULT_SECRECY_SCHEDULE, ...this.options.secrecy };
    this.erasure = new ErasureKeys(
      erasureKeysPath(node.options.dataDir),
      () => node.options.device.storageKey,
      node.random,
    );
    this.prekeys = new Prekeys(node, this.erasure, this.schedule);
    this.epochs = new Epochs(
      node,
      own,
      this.repo,
      (envelope, id, targets) => {
        if (!this.outbox.sendNow('epoch-key', envelope, id, targets)) void this.pump();
      },
      this.prekeys,
      this.erasure,
      this.schedule,
    );
    this.sweep = new SecrecySweep(
      node,
      this.repo,
      this.epochs,
      this.prekeys,
      this.erasure,
      this.schedule,
      backend,
    );
    this.views = new MessageViews(node, this.repo, this.epochs, backend);
    this.sends = new GroupCommit((batch) => this.commitSends(batch), BATCH_MAX);
    this.inbox = new Inbox(
      node,
      own,
      this.repo,
      this.directory,
      this.epochs,
      this.receipts,
      this.outbox,
      this.prekeys,
      {
        conversationHandler: () => this.conversationHandler,
        friendBytesPerDay: this.options.friendBytesPerDay,
      },
    );
    // The link's handler queues items without waiting for their commit, so one transaction can
    // carry many; beyond INBOX_MAX waiting it waits, and the peer's send queue fills instead.
    node.delivery = {
      onDeliver: (session, m) => {
        const done = this.onDeliver(session, m);
        if (this.inbox.pending > INBOX_MAX) return done;
        done.catch(() => {});
        return Promise.resolve();
      },
      onDeliverRefused: (session, m) => this.onDeliverRefused(session, m),
      onPrekey: (session, m) => this.prekeys.onPrekey(session, m),
    };
  }

  private get clock() {
    return this.node.clock;
  }
  private get me() {
    return this.node.deviceId;
  }
  private get signing() {
    return this.node.options.device.keys.signing;
  }
  /** Locked, only verification is asked of it (docs/SECURITY.md "Locked relay mode"). */
  private get backend(): CryptoBackend {
    if (this.node.locked) return defaultBackend();
    const seed = this.signing.seed;
    if (this.ownBackend?.seed !== seed) this.ownBackend = { seed, backend: ownSigningBackend(seed) };
    return this.ownBackend.backend;
  }

  async start(): Promise<void> {
    this.unsubscribe = this.node.options.events.subscribe((e: AgentEvent) => {
      this.directory.onEvent(e);
      if (e.type === 'peer.online') {
        const deviceId = String(e.data.deviceId);
        void this.forwarding.flushTo(deviceId);
        const session = this.node.session(deviceId);
        if (session) void this.prekeys.publish(session).catch(() => undefined);
      }
    });
    this.timer = setInterval(() => void this.pump(), this.options.pumpMs);
    this.timer.unref?.();
    void this.pump();
    this.sweepTimer = setInterval(
      () => void this.secrecySweep().catch(() => undefined),
      this.schedule.sweepMs,
    );
    this.sweepTimer.unref?.();
    await this.secrecySweep().catch((err) => {
      this.node.log.warn({ code: isKithError(err) ? err.code : undefined }, 'secrecy: the sweep failed');
    });
  }

  /**
   * One forward-secrecy pass (secrecy-sweep.ts): prekey rotation when due, erasure of epoch keys
   * and prekeys whose time is over. Runs every `sweepMs` and at start and unlock.
   */
  secrecySweep(): Promise<SweepResult> {
    return this.sweep.run();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.sweepTimer);
    this.unsubscribe?.();
    await Promise.all([this.sends.idle(), this.inbox.idle()]);
  }

  // --- sending ----------------------------------------------------------------------------

  /** The devices a conversation's items go to: every active device of its member users but this one. */
  private async memberDevices(userIds: string[]): Promise<DeviceRow[]> {
    const out: DeviceRow[] = [];
    for (const user of new Set(userIds)) {
      if (!(await this.directory.isRelated(user))) continue;
      for (const d of await this.directory.activeDevices(user)) {
        if (d.deviceId !== this.me) out.push(d);
      }
    }
    return out;
  }

  async sendText(
    target: { to?: string; conversation?: string },
    text: string,
  ): Promise<{ id: string; conversation: string }> {
    let conversation: string;
    let members: string[];
    if (target.to) {
      if (!(await this.directory.isRelated(target.to))) throw new KithError('NOT_A_FRIEND');
      conversation = directConversationId(this.node.userId, target.to);
      members = [this.node.userId, target.to];
    } else if (target.conversation) {
      conversation = target.conversation;
      members = await this.directMembers(conversation);
    } else {
      throw new KithError('USAGE', 'Say who the message is for: --to USER_ID or --conversation ID.');
    }
    return { id: await this.sendBody(conversation, members, { t: 'text', text }), conversation };
  }

  /** A direct conversation's members are found among our friends by recomputing its id. */
  private async directMembers(conversation: string): Promise<string[]> {
    for (const f of await this.node.friends.list()) {
      if (directConversationId(this.node.userId, f.userId) === conversation)
        return [this.node.userId, f.userId];
    }
    if (directConversationId(this.node.userId, this.node.userId) === conversation) return [this.node.userId];
    throw new KithError('CONVERSATION_UNKNOWN');
  }

  /** The ConversationSync side: ships a conversation item to every member device. */
  async publishConversationItem(
    conversationId: string,
    memberUserIds: string[],
    kind: 'genesis' | 'event' | 'outcome',
    bytes: Uint8Array,
  ): Promise<void> {
    await this.sendBody(conversationId, memberUserIds, { t: 'conv', kind, bytes });
  }

  private async sendBody(conversation: string, members: string[], body: ChatBody): Promise<string> {
    const targets = await this.memberDevices(members);
    const epoch = await this.epochs.current(conversation, targets);
    // Counted when sealed, so concurrent sends rotate on time; stored once per batch.
    epoch.count++;
    const now = this.clock();
    const item = sealChatMessage(
      {
        conv: conversation,
        epoch: epoch.id,
        epochKey: epoch.key,
        sender: this.signing,
        sentAt: now,
        body,
      },
      this.node.random,
      this.backend,
    );
    const id = itemId(item);
    await this.sends.add({
      id,
      conversation,
      epochId: epoch.id,
      at: now,
      item,
      targets: targets.map((t) => t.deviceId),
    });
    this.node.options.events.publish('message.sent', { id: toHex(id), conversation });
    return toHex(id);
  }

  /**
   * One group commit on the sending side: the messages, their outbox rows (naming the message,
   * not copying it) and each epoch's count, in one transaction; then every item goes straight
   * to its targets that are online, from memory.
   */
  private async commitSends(batch: Outgoing[]): Promise<void> {
    await this.repo.insertSent(batch, { device: this.me, user: this.node.userId });
    let offline = false;
    for (const o of batch) {
      if (!this.outbox.sendNow('message', o.item, o.id, o.targets)) offline = true;
    }
    if (offline) void this.pump();
  }

  /**
   * Sends what is undelivered and not already on a live link to its target (outbox-pump.ts).
   */
  pump(): Promise<void> {
    return this.outbox.pump();
  }

  // --- receiving --------------------------------------------------------------------------

  /**
   * An item from a link. Items for this device are checked at once and queued for the next
   * group commit; the promise settles once that commit is done (the link does not wait for it:
   * see the constructor). Items for others are forwarded at once, or held.
   */
  onDeliver(session: PeerSession, m: Deliver): Promise<void> {
    const id = itemId(m.item);
    const work: Promise<void>[] = [];
    if (m.to.includes(this.me)) {
      // Locked, what is for this device is kept as it came and read at the unlock (keptForUnlock).
      if (this.node.locked && m.kind !== 'receipt') work.push(this.relay.hold(session, m, id, this.me));
      else work.push(this.inbox.accept(m.kind, m.item, m.origin, id, session));
    } else if (m.kind === 'receipt') {
      // Logged here, never passed to the link: a failed release must not close it.
      work.push(
        this.forwarding.releaseHeld(m.item).catch((err) => {
          this.node.log.warn(
            { code: isKithError(err) ? err.code : undefined },
            'relay: could not release held items',
          );
        }),
      );
    }
    if (m.hops < MAX_HOPS) {
      for (const target of m.to)
        if (target !== this.me) work.push(this.forwarding.carry(session, m, id, target));
    }
    return Promise.all(work).then(() => undefined);
  }

  /**
   * A peer refused an item. From the target itself with a code that says it could not store it
   * now (a full disk: RETRY_LATER_CODES), the item goes to it again on the same link after a
   * while, from the outbox or from what we hold for it; any other refusal (a relay's quota, a
   * friend's daily allowance) waits for the next link or another relay, as before.
   */
  async onDeliverRefused(session: PeerSession, m: MessageOf<typeof DeliverRefusedMessage>): Promise<void> {
    this.node.options.events.publish('relay.refused', {
      by: session.deviceId,
      target: m.target,
      code: m.code,
    });
    if (session.deviceId !== m.target || !RETRY_LATER_CODES.has(m.code)) return;
    this.outbox.refused(toHex(m.item), m.target, session);
    this.forwarding.refused(
      m.target,
      session,
      this.clock() + this.options.pumpMs * RETRY_REFUSED_AFTER_PUMPS,
    );
  }

  /**
   * The device was unlocked: reads what was kept for it while locked, in arrival order, as if
   * it came now (stored, receipted, handed on), then drops the kept copies.
   */
  async keptForUnlock(): Promise<number> {
    const kept = await this.forwarding.keptForUnlock();
    // Nothing was rotated or erased while locked (no storage key): catch up now.
    await this.secrecySweep().catch((err) => {
      this.node.log.warn({ code: isKithError(err) ? err.code : undefined }, 'secrecy: the sweep failed');
    });
    return kept;
  }

  /** The device was locked: epoch keys held in memory go with it. */
  forgetKeys(): void {
    this.epochs.forget();
    this.prekeys.forget();
    this.erasure.forget();
    this.ownBackend = undefined;
  }

  // --- reading ----------------------------------------------------------------------------

  list(conversation?: string, limit = 1000): Promise<MessageView[]> {
    return this.views.list(conversation, limit);
  }

  pending(): Promise<number> {
    return this.views.pending();
  }

  /** Conversations restored from the archive after a recovery (restored-messages.ts). */
  get restored(): MessageViews['restored'] {
    return this.views.restored;
  }

  restoredActivity(): Promise<Map<string, { last: number; rows: number }>> {
    return this.views.restored.activity();
  }
}
