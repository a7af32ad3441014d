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
import { constantTimeEqual, defaultBackend, toHex } from '@kith/core/crypto/index';
import { KithError, isKithError } from '@kith/core/errors';
import {
  type ChatBody,
  type ChatHeader,
  openVerifiedChatMessage,
  sealChatMessage,
  verifyChatMessage,
} from '@kith/core/messaging/chat-message';
import { directConversationId, isDirectConversationId } from '@kith/core/messaging/direct-conversation';
import {
  EPOCH_MAX_AGE_MS,
  EPOCH_MAX_MESSAGES,
  openEpochKey,
  recipientsFingerprint,
  sealEpochKey,
} from '@kith/core/messaging/epoch-key';
import { itemId } from '@kith/core/messaging/item-id';
import {
  RECEIPT_MAX_ITEMS,
  type ReceiptBatch,
  openReceipt,
  signReceiptBatch,
} from '@kith/core/messaging/receipt';
import { verifyEnvelope } from '@kith/core/envelope';
import type { DeliverMessage, DeliverRefusedMessage } from '@kith/core/wire/deliver';
import { MAX_HOPS } from '@kith/core/wire/deliver';
import type { MessageOf } from '@kith/core/wire/message';
import { and, asc, count, desc, eq, inArray, isNotNull, lt, ne, sql } from 'drizzle-orm';
import { epochKeys, messages, outbox, receipts, relayQueue } from '@kith/db/schema';
import type { AgentEvent } from '../event-bus.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';
import type { PeerNode } from '../peer/peer-node.ts';
import type { PeerSession } from '../peer/peer-session.ts';
import { ROUTE_WAIT_PUMPS, nextRouteHop } from '../peer/reachability.ts';
import { openBox, sealBox } from '../peer/sealed-box.ts';
import { DirectoryCache } from './directory-cache.ts';
import { FriendAllowance } from './friend-allowance.ts';
import { GroupCommit } from './group-commit.ts';
import {
  type Executor,
  type ReceiptRow,
  insertReceivedMessages,
  insertSentMessages,
  storeReceipts,
} from './message-sql.ts';
import { ownSigningBackend } from './own-signer.ts';
import { RelayHold } from './relay-hold.ts';

type Deliver = MessageOf<typeof DeliverMessage>;
type Kind = Deliver['kind'];

export interface MessengerOptions {
  relayEnabled: boolean;
  /** Ciphertext held for all friends together, bytes (relay-hold.ts). */
  totalQuotaBytes: number;
  /** Ciphertext held per user (the one whose link handed it over), bytes and items. */
  userQuotaBytes: number;
  userQuotaItems: number;
  /** Bytes of items one friend may have this device store per day (friend-allowance.ts). */
  friendBytesPerDay: number;
  /** Held items expire after this long. */
  holdMs: number;
  /** How often undelivered items are retried and expired ones dropped. */
  pumpMs: number;
}

export const DEFAULT_MESSENGER_OPTIONS: MessengerOptions = {
  relayEnabled: true,
  totalQuotaBytes: 1024 * 1024 * 1024,
  userQuotaBytes: 256 * 1024 * 1024,
  userQuotaItems: 50_000,
  friendBytesPerDay: 256 * 1024 * 1024,
  holdMs: 14 * 24 * 60 * 60 * 1000,
  pumpMs: 2000,
};

export interface MessageView {
  id: string;
  conversation: string;
  from: string;
  fromDevice: string;
  text: string;
  sentAt: string;
  receivedAt: string;
  delivered: string[];
  relayed: string[];
}

export type ConversationItemHandler = (
  kind: 'genesis' | 'event' | 'outcome',
  bytes: Uint8Array,
  fromUserId: string,
) => Promise<void>;

/** Most items one transaction carries (group commit, both sides). */
const BATCH_MAX = 500;
/** Received items waiting for their batch beyond which a link waits for them (back-pressure). */
const INBOX_MAX = 2000;
/** An undelivered item is offered again to the same relays after this many pump intervals. */
const REOFFER_AFTER_PUMPS = 15;

/** This device's current epoch for a conversation, kept in memory (count included). */
interface CurrentEpoch {
  id: Uint8Array;
  key: Uint8Array;
  recipients: string;
  createdAt: number;
  count: number;
}

/** A message this device made, waiting for its group commit. */
interface Outgoing {
  id: Uint8Array;
  conversation: string;
  epochId: Uint8Array;
  at: number;
  item: Uint8Array;
  targets: string[];
}

/** An item delivered to this device, waiting for its group commit (in arrival order). */
type Incoming =
  | {
      kind: 'message';
      id: Uint8Array;
      item: Uint8Array;
      origin: string;
      /** Undefined for an item kept while locked (keptForUnlock). */
      from: PeerSession | undefined;
      header: ChatHeader;
    }
  | { kind: 'epoch-key'; id: Uint8Array; item: Uint8Array; origin: string; from: PeerSession | undefined }
  | { kind: 'receipt'; from: PeerSession | undefined; receipt: ReceiptBatch };

const itemKey = (idHex: string, target: string) => `${idHex}/${target}`;
const fromHexText = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

export class Messenger {
  readonly name = 'messenger';
  private readonly options: MessengerOptions;
  private timer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly directory: DirectoryCache;
  /** The device's signing key, with its KeyObject built once on the native backend. */
  private ownBackend: { seed: Uint8Array; backend: CryptoBackend } | undefined;
  /**
   * item/target -> the peer sessions it was handed to while the target was offline, and when.
   * Keyed by session, not device: a peer that restarted gets it again (what it held in memory,
   * or a socket that was dying, may be gone). Re-offered after a while, in case a relay lost it
   * or its receipt got lost.
   */
  private readonly handedTo = new Map<string, { sessions: Set<PeerSession>; at: number }>();
  /**
   * item/target -> the live session it went out on. A link is reliable and ordered, so an item
   * is sent again only on a new session to its target, never on a timer (a timed resend to a
   * busy peer only doubles its work: ARCHITECTURE "Messaging performance").
   */
  private readonly sentOn = new Map<string, PeerSession>();
  private readonly epochs = new Map<string, CurrentEpoch>();
  private readonly epochRotations = new Map<string, Promise<CurrentEpoch>>();
  private readonly sends: GroupCommit<Outgoing>;
  private readonly inbox: GroupCommit<Incoming>;
  /**
   * origin/target/state -> item ids to confirm in one signed receipt, and the relays that
   * brought them (they keep their copy until the receipt reaches them: flushHeld).
   */
  private readonly receiptsDue = new Map<
    string,
    {
      origin: string;
      target: string;
      state: 'delivered' | 'relayed';
      items: Uint8Array[];
      via: Set<PeerSession>;
    }
  >();
  private receiptsScheduled = false;
  /** Items held for offline devices, within the relay quotas. */
  private readonly relay: RelayHold;
  private readonly allowance: FriendAllowance;
  private pumping = false;
  private repump = false;
  /** Conversation items go to the conversation service. */
  conversationHandler: ConversationItemHandler | undefined;

  constructor(
    private readonly node: PeerNode,
    options: Partial<MessengerOptions> = {},
  ) {
    this.options = { ...DEFAULT_MESSENGER_OPTIONS, ...options };
    this.directory = new DirectoryCache(node);
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
      (origin, target, id) => this.confirm(origin, target, 'relayed', id),
    );
    this.allowance = new FriendAllowance(this.options.friendBytesPerDay, node.clock);
    this.sends = new GroupCommit((batch) => this.commitSends(batch), BATCH_MAX);
    this.inbox = new GroupCommit((batch) => this.commitInbox(batch), BATCH_MAX);
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
    };
  }

  private get db() {
    return this.node.options.components.db.db;
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
      if (e.type === 'peer.online') void this.flushTo(String(e.data.deviceId));
    });
    this.timer = setInterval(() => void this.pump(), this.options.pumpMs);
    this.timer.unref?.();
    void this.pump();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
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
    const epoch = await this.currentEpoch(conversation, targets);
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
    await insertSentMessages(this.db, batch, { device: this.me, user: this.node.userId });
    let offline = false;
    for (const o of batch) {
      if (!this.sendNow('message', o.item, o.id, o.targets)) offline = true;
    }
    if (offline) void this.pump();
  }

  /** Sends a stored item to each target that has a live link; false if any was not reached. */
  private sendNow(kind: Kind, item: Uint8Array, id: Uint8Array, targets: string[]): boolean {
    const hex = toHex(id);
    let all = true;
    for (const target of targets) {
      const session = this.node.session(target);
      if (session && this.sendDeliver(session, kind, item, [target], 0)) {
        this.sentOn.set(itemKey(hex, target), session);
      } else {
        all = false;
      }
    }
    return all;
  }

  /** This device's epoch for a conversation, rotated when the member devices change or it is old (docs/DESIGN.md §5). */
  private async currentEpoch(conversation: string, targets: DeviceRow[]): Promise<CurrentEpoch> {
    const fingerprint = recipientsFingerprint(targets.map((t) => t.staticPublicKey));
    for (;;) {
      const cached = this.epochs.get(conversation);
      if (cached && this.usable(cached, fingerprint)) return cached;
      // One lookup or rotation per conversation at a time; the others wait for its result.
      const running = this.epochRotations.get(conversation);
      if (running) {
        await running.catch(() => undefined);
        continue;
      }
      const next = this.loadOrRotateEpoch(conversation, targets, fingerprint, cached === undefined);
      this.epochRotations.set(conversation, next);
      try {
        const epoch = await next;
        this.epochs.set(conversation, epoch);
        return epoch;
      } finally {
        this.epochRotations.delete(conversation);
      }
    }
  }

  private usable(e: CurrentEpoch, fingerprint: string): boolean {
    return (
      e.recipients === fingerprint &&
      this.clock() - e.createdAt < EPOCH_MAX_AGE_MS &&
      e.count < EPOCH_MAX_MESSAGES
    );
  }

  private async loadOrRotateEpoch(
    conversation: string,
    targets: DeviceRow[],
    fingerprint: string,
    lookUp: boolean,
  ): Promise<CurrentEpoch> {
    if (lookUp) {
      const [latest] = await this.db
        .select()
        .from(epochKeys)
        .where(and(eq(epochKeys.conversationId, conversation), eq(epochKeys.senderDevice, this.me)))
        .orderBy(desc(epochKeys.createdAt))
        .limit(1);
      if (latest) {
        const stored: CurrentEpoch = {
          id: latest.epochId,
          key: openBox(this.node.options.device.storageKey, 'epoch-key', latest.keySealed),
          recipients: latest.recipients,
          createdAt: latest.createdAt.getTime(),
          count: latest.messageCount,
        };
        if (this.usable(stored, fingerprint)) return stored;
      }
    }
    const now = this.clock();
    const epoch = { conv: conversation, epoch: this.node.random(16), key: this.node.random(32) };
    const envelope = targets.length
      ? await sealEpochKey(
          epoch,
          targets.map((t) => t.staticPublicKey),
          this.signing,
          now,
          this.node.random,
        )
      : undefined;
    const envelopeId = envelope ? itemId(envelope) : undefined;
    await this.db.transaction(async (tx) => {
      await tx.insert(epochKeys).values({
        epochId: epoch.epoch,
        conversationId: conversation,
        senderDevice: this.me,
        keySealed: sealBox(this.node.options.device.storageKey, 'epoch-key', epoch.key, this.node.random),
        recipients: fingerprint,
        createdAt: new Date(now),
      });
      if (envelope && envelopeId) {
        await tx
          .insert(outbox)
          .values(
            targets.map((t) => ({
              itemId: envelopeId,
              targetDevice: t.deviceId,
              kind: 'epoch-key',
              item: envelope,
              createdAt: new Date(now),
            })),
          )
          .onConflictDoNothing();
      }
    });
    if (envelope && envelopeId) {
      if (
        !this.sendNow(
          'epoch-key',
          envelope,
          envelopeId,
          targets.map((t) => t.deviceId),
        )
      )
        void this.pump();
    }
    return { id: epoch.epoch, key: epoch.key, recipients: fingerprint, createdAt: now, count: 0 };
  }

  /**
   * Sends what is undelivered and not already on a live link to its target: direct on a new
   * session, otherwise via online peers. Runs on a timer, when a peer comes online and after a
   * batch with offline targets; reads item bytes only for what it sends.
   */
  async pump(): Promise<void> {
    if (this.pumping) {
      this.repump = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.repump = false;
        await this.expireHeld();
        const rows = await this.db
          .select({
            itemId: outbox.itemId,
            targetDevice: outbox.targetDevice,
            kind: outbox.kind,
          })
          .from(outbox)
          .orderBy(asc(outbox.createdAt))
          .limit(2000);
        const now = this.clock();
        const relaysOf = new Map<string, Set<string>>();
        const due: {
          row: (typeof rows)[number];
          key: string;
          peers: PeerSession[];
          handed?: { sessions: Set<PeerSession>; at: number };
        }[] = [];
        for (const row of rows) {
          const key = itemKey(toHex(row.itemId), row.targetDevice);
          const direct = this.node.session(row.targetDevice);
          if (direct) {
            if (this.sentOn.get(key) !== direct) due.push({ row, key, peers: [direct] });
            continue;
          }
          let entry = this.handedTo.get(key);
          if (entry && now - entry.at > this.options.pumpMs * REOFFER_AFTER_PUMPS) entry = undefined;
          const handed = entry?.sessions ?? new Set<PeerSession>();
          // Reach routing (docs/DESIGN.md §7, peer/reachability.ts): a peer that gossiped a route to the
          // target goes before the relays, one at a time: each has ROUTE_WAIT_PUMPS intervals to
          // bring the receipt before the next is tried.
          const hop = nextRouteHop(
            this.node.routesTo(row.targetDevice),
            handed,
            entry?.at ?? now,
            now,
            this.options.pumpMs * ROUTE_WAIT_PUMPS,
          );
          if (hop === 'wait') continue;
          if (hop) {
            due.push({ row, key, peers: [hop], handed: { sessions: handed, at: entry?.at ?? now } });
            this.node.options.events.publish('message.routed', {
              item: toHex(row.itemId),
              target: row.targetDevice,
              via: hop.deviceId,
            });
            continue;
          }
          // The target user's listed relays first; only with none online, every peer (§10).
          const relays = await this.relaysFor(row.targetDevice, relaysOf);
          const online = this.node.onlineSessions();
          const listed = online.filter((p) => relays.has(p.deviceId));
          const peers = (listed.length ? listed : online).filter((peer) => !handed.has(peer));
          if (peers.length) due.push({ row, key, peers, handed: { sessions: handed, at: entry?.at ?? now } });
        }
        if (due.length === 0) continue;
        const bytes = await this.itemBytes(due.map((d) => d.row));
        for (const { row, key, peers, handed } of due) {
          const item = bytes.get(toHex(row.itemId));
          if (!item) continue;
          if (!handed) {
            const direct = peers[0]!;
            if (this.sendDeliver(direct, row.kind as Kind, item, [row.targetDevice], 0))
              this.sentOn.set(key, direct);
            continue;
          }
          for (const peer of peers) {
            if (this.sendDeliver(peer, row.kind as Kind, item, [row.targetDevice], 0))
              handed.sessions.add(peer);
          }
          if (handed.sessions.size) this.handedTo.set(key, handed);
        }
      } while (this.repump);
    } catch (err) {
      this.node.log.warn({ err }, 'messenger: pump failed');
    } finally {
      this.pumping = false;
    }
  }

  /**
   * The bytes of outbox items: a message's from its `messages` row (as hex text: PGlite parses
   * bytea one byte at a time, see message-sql.ts), others' from the outbox.
   */
  private async itemBytes(rows: { itemId: Uint8Array; kind: string }[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const ids = (kind: 'message' | 'other') => {
      const seen = new Map<string, Uint8Array>();
      for (const r of rows)
        if ((r.kind === 'message') === (kind === 'message')) seen.set(toHex(r.itemId), r.itemId);
      return [...seen.values()];
    };
    const messageIds = ids('message');
    for (let i = 0; i < messageIds.length; i += 500) {
      const found = await this.db
        .select({ id: messages.id, hex: sql<string>`encode(${messages.item}, 'hex')` })
        .from(messages)
        .where(inArray(messages.id, messageIds.slice(i, i + 500)));
      for (const f of found) out.set(toHex(f.id), fromHexText(f.hex));
    }
    const otherIds = ids('other');
    for (let i = 0; i < otherIds.length; i += 500) {
      const found = await this.db
        .selectDistinctOn([outbox.itemId], { id: outbox.itemId, item: outbox.item })
        .from(outbox)
        .where(and(inArray(outbox.itemId, otherIds.slice(i, i + 500)), isNotNull(outbox.item)));
      for (const f of found) if (f.item) out.set(toHex(f.id), f.item);
    }
    return out;
  }

  /** The devices on the target device's user's signed relay list (empty when we hold none). */
  private async relaysFor(targetDevice: string, cache: Map<string, Set<string>>): Promise<Set<string>> {
    const cached = cache.get(targetDevice);
    if (cached) return cached;
    const row = await this.node.identity.device(targetDevice);
    const list = row ? await this.node.relayLists.repository.get(row.userId) : undefined;
    const relays = new Set((list?.relays ?? []).filter((d) => d !== targetDevice && d !== this.me));
    cache.set(targetDevice, relays);
    return relays;
  }

  private sendDeliver(
    session: PeerSession,
    kind: Kind,
    item: Uint8Array,
    to: string[],
    hops: number,
    origin = this.me,
  ): boolean {
    return session.send({ v: 1, t: 'deliver', kind, item, to, origin, hops });
  }

  /** A device came online: give it what we hold for it and what we owe it. */
  private async flushTo(deviceId: string): Promise<void> {
    try {
      await this.flushHeld(deviceId);
    } catch (err) {
      // Runs from an event: logged, never an unhandled rejection.
      this.node.log.warn({ err, peer: deviceId }, 'messenger: flush failed');
    }
  }

  /**
   * Offers everything held for a device on its new session. Rows stay: a link can die right
   * after its hello (the tie-break of a simultaneous dial closes one of two) with the items in
   * flight, and the origin may be gone by then. A row ends only with the target's signed
   * "delivered" receipt (releaseHeld) or at expiry; each new session gets it again, and the
   * target takes it once (item id) and confirms duplicates too (PROTOCOL §10).
   */
  private async flushHeld(deviceId: string): Promise<void> {
    const session = this.node.session(deviceId);
    if (!session) return;
    const held = await this.db.select().from(relayQueue).where(eq(relayQueue.targetDevice, deviceId));
    for (const row of held) {
      if (!this.sendDeliver(session, row.kind as Kind, row.item, [deviceId], 1, row.origin)) break;
    }
    void this.pump();
  }

  /**
   * A receipt passing through (or coming back through) this relay: a "delivered" one signed by
   * its target's own active device ends what we hold for that target. Anything else is left to
   * the origin to judge; a bad receipt is dropped here without a word.
   */
  private async releaseHeld(bytes: Uint8Array): Promise<void> {
    let r: ReceiptBatch;
    try {
      r = openReceipt(bytes, this.backend);
    } catch {
      return;
    }
    if (r.state !== 'delivered') return;
    const signer = await this.directory.signer(r.signer);
    if (signer?.deviceId !== r.target) return;
    let released = 0;
    for (let i = 0; i < r.items.length; i += 500) {
      const gone = await this.db
        .delete(relayQueue)
        .where(
          and(eq(relayQueue.targetDevice, r.target), inArray(relayQueue.itemId, r.items.slice(i, i + 500))),
        )
        .returning({ id: relayQueue.itemId });
      released += gone.length;
    }
    if (released) this.relay.forgetUsage();
    if (released) this.node.options.events.publish('relay.released', { target: r.target, items: released });
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
      else work.push(this.accept(m.kind, m.item, m.origin, id, session));
    } else if (m.kind === 'receipt') {
      // Logged here, never passed to the link: a failed release must not close it.
      work.push(
        this.releaseHeld(m.item).catch((err) => {
          this.node.log.warn(
            { code: isKithError(err) ? err.code : undefined },
            'relay: could not release held items',
          );
        }),
      );
    }
    if (m.hops < MAX_HOPS) {
      for (const target of m.to) if (target !== this.me) work.push(this.carry(session, m, id, target));
    }
    return Promise.all(work).then(() => undefined);
  }

  /** Forward to a linked target, or hold for it if we relay for its user. */
  private carry(from: PeerSession, m: Deliver, id: Uint8Array, target: string): Promise<void> {
    const next = this.node.session(target);
    if (next && next !== from) {
      if (this.sendDeliver(next, m.kind, m.item, [target], m.hops + 1, m.origin)) {
        if (m.kind !== 'receipt') this.confirm(m.origin, target, 'relayed', id);
      }
      return Promise.resolve();
    }
    // Reach routing: a peer with a gossiped route, never the one the item came from, and only a
    // route short enough for the hops left (MAX_HOPS); else hold as before.
    const via = this.node.routesTo(target, MAX_HOPS - m.hops).find((p) => p !== from);
    if (via && this.sendDeliver(via, m.kind, m.item, [target], m.hops + 1, m.origin)) {
      this.node.options.events.publish('message.routed', { item: toHex(id), target, via: via.deviceId });
      if (m.kind !== 'receipt') this.confirm(m.origin, target, 'relayed', id);
      return Promise.resolve();
    }
    if (!this.options.relayEnabled || m.kind === 'receipt') return Promise.resolve();
    return this.relay.hold(from, m, id, target);
  }

  async onDeliverRefused(session: PeerSession, m: MessageOf<typeof DeliverRefusedMessage>): Promise<void> {
    this.node.options.events.publish('relay.refused', {
      by: session.deviceId,
      target: m.target,
      code: m.code,
    });
  }

  /** Checks what needs no database at once (form, signature) and queues the rest. */
  private accept(
    kind: Kind,
    item: Uint8Array,
    origin: string,
    id: Uint8Array,
    from: PeerSession | undefined,
  ): Promise<void> {
    let queued: Promise<void>;
    try {
      if (kind === 'message') {
        const header = verifyChatMessage(item, this.backend);
        queued = this.inbox.add({ kind, id, item, origin, from, header });
      } else if (kind === 'epoch-key') {
        queued = this.inbox.add({ kind, id, item, origin, from });
      } else {
        queued = this.inbox.add({ kind, from, receipt: openReceipt(item, this.backend) });
      }
    } catch (err) {
      this.refused(err, from, kind);
      return Promise.resolve();
    }
    return queued.catch((err) => {
      this.node.log.warn(
        { code: isKithError(err) ? err.code : undefined, err: isKithError(err) ? undefined : err },
        'messenger: a batch of received items was not stored',
      );
    });
  }

  /** A friend's item within its daily allowance (friend-allowance.ts); past it, refused. */
  private allowed(
    sender: DeviceRow,
    x: { id: Uint8Array; item: Uint8Array; from: PeerSession | undefined },
  ): boolean {
    if (sender.userId === this.node.userId || this.allowance.take(sender.userId, x.item.length)) return true;
    x.from?.send({ v: 1, t: 'deliver-refused', item: x.id, target: this.me, code: 'MESSAGE_QUOTA' });
    this.refused(new KithError('MESSAGE_QUOTA'), x.from, 'message');
    return false;
  }

  private refused(err: unknown, from: PeerSession | undefined, kind: string): void {
    this.node.log.warn(
      { code: isKithError(err) ? err.code : undefined, from: from?.deviceId, kind },
      'messenger: refused an item',
    );
  }

  /**
   * One group commit on the receiving side, in arrival order: messages, epoch keys and
   * receipts of the batch in one transaction (exactly once by primary key); after it,
   * `message.received` for the new messages, conversation items to their service, and one
   * signed receipt per origin for everything accepted, duplicates included (the first receipt
   * may have been lost).
   */
  private async commitInbox(batch: Incoming[]): Promise<void> {
    const now = this.clock();
    const msgs: { x: Extract<Incoming, { kind: 'message' }>; sender: DeviceRow }[] = [];
    const keys: {
      x: Extract<Incoming, { kind: 'epoch-key' }>;
      sender: DeviceRow;
      epoch: { conv: string; epoch: Uint8Array; key: Uint8Array };
    }[] = [];
    const rs: { r: ReceiptBatch; signer: DeviceRow }[] = [];
    for (const x of batch) {
      try {
        if (x.kind === 'message') {
          const sender = await this.directory.signer(x.header.sender);
          if (!sender)
            throw new KithError(
              'MESSAGE_INVALID',
              'It comes from an unknown or revoked device, or not a friend.',
            );
          if (!this.allowed(sender, x)) continue;
          msgs.push({ x, sender });
        } else if (x.kind === 'epoch-key') {
          const env = verifyEnvelope(x.item);
          const sender = await this.directory.signer(env.sender);
          if (!sender)
            throw new KithError(
              'MESSAGE_INVALID',
              'It comes from an unknown or revoked device, or not a friend.',
            );
          const epoch = await openEpochKey(x.item, this.node.options.device.keys.agreement);
          if (!constantTimeEqual(epoch.sender, env.sender)) throw new KithError('MESSAGE_INVALID');
          if (!this.allowed(sender, x)) continue;
          keys.push({ x, sender, epoch });
        } else {
          const signer = await this.directory.signer(x.receipt.signer);
          // Only the target itself may say "delivered"; anyone else's claim is dropped unstored.
          if (signer && (x.receipt.state !== 'delivered' || signer.deviceId === x.receipt.target))
            rs.push({ r: x.receipt, signer });
        }
      } catch (err) {
        this.refused(err, x.from, x.kind);
      }
    }
    const newMessages = new Set<string>();
    const newEpochs = new Set<string>();
    const storeMessages = async (ex: Executor) => {
      if (msgs.length === 0) return;
      const inserted = await insertReceivedMessages(
        ex,
        msgs.map(({ x, sender }) => ({
          id: x.id,
          conversation: x.header.conv,
          senderDevice: sender.deviceId,
          senderUser: sender.userId,
          epochId: x.header.epoch,
          sentAt: x.header.sentAt,
          item: x.item,
        })),
        now,
      );
      for (const id of inserted) newMessages.add(toHex(id));
    };
    if (keys.length === 0) {
      // One statement, atomic by itself: no transaction round trips.
      await storeMessages(this.db);
    } else {
      await this.db.transaction(async (tx) => {
        await storeMessages(tx);
        const inserted = await tx
          .insert(epochKeys)
          .values(
            keys.map(({ sender, epoch }) => ({
              epochId: epoch.epoch,
              conversationId: epoch.conv,
              senderDevice: sender.deviceId,
              keySealed: sealBox(
                this.node.options.device.storageKey,
                'epoch-key',
                epoch.key,
                this.node.random,
              ),
              recipients: '',
              createdAt: new Date(now),
            })),
          )
          .onConflictDoNothing()
          .returning({ id: epochKeys.epochId });
        for (const r of inserted) newEpochs.add(toHex(r.id));
      });
    }
    // Receipt rows and the outbox rows they end need no transaction with the rest: both are
    // idempotent, and a row left by a crash is sent again and confirmed again.
    if (rs.length) await this.storeReceiptBatch(rs);
    // Published after the commit: a listener that reads the message finds it.
    const published = new Set<string>();
    for (const { x, sender } of msgs) {
      const hex = toHex(x.id);
      if (!newMessages.has(hex) || published.has(hex)) continue;
      published.add(hex);
      this.node.options.events.publish('message.received', {
        id: hex,
        conversation: x.header.conv,
        from: sender.userId,
      });
    }
    for (const { r } of rs) {
      for (const item of r.items) {
        const hex = toHex(item);
        if (r.state === 'delivered') {
          this.handedTo.delete(itemKey(hex, r.target));
          this.sentOn.delete(itemKey(hex, r.target));
        }
        this.node.options.events.publish('receipt', { item: hex, device: r.target, state: r.state });
      }
    }
    for (const { x } of [...msgs, ...keys]) this.confirm(x.origin, this.me, 'delivered', x.id, x.from);
    this.sendReceipts();
    // Conversation items, in order; a message whose key came in this batch is read with the
    // others under that key below.
    for (const { x, sender } of msgs) {
      const hex = toHex(x.id);
      if (!published.delete(hex) || newEpochs.has(toHex(x.header.epoch))) continue;
      await this.dispatch(x.item, x.header.epoch, sender.userId, x.header.conv);
    }
    for (const { epoch } of keys) {
      if (!newEpochs.delete(toHex(epoch.epoch))) continue;
      // Messages that arrived before their key can be read now.
      const waiting = await this.db
        .select()
        .from(messages)
        .where(eq(messages.epochId, epoch.epoch))
        .orderBy(asc(messages.sentAt));
      for (const m of waiting) await this.dispatch(m.item, epoch.epoch, m.senderUser, m.conversationId);
    }
  }

  /** Receipts for items this device made: stored per item; "delivered" ends the outbox row. */
  private async storeReceiptBatch(rs: { r: ReceiptBatch; signer: DeviceRow }[]): Promise<void> {
    // Chunks far below the 65,535 parameters of one statement.
    let rows: ReceiptRow[] = [];
    let delivered = new Map<string, Uint8Array[]>();
    const flush = async () => {
      await storeReceipts(this.db, rows, delivered);
      rows = [];
      delivered = new Map();
    };
    for (const { r, signer } of rs) {
      // Only the target's own "delivered" got this far (checked where receipts come in).
      const ends = r.state === 'delivered';
      for (const item of r.items) {
        rows.push({
          itemId: item,
          device: r.state === 'delivered' ? r.target : signer.deviceId,
          state: r.state,
          at: r.at,
        });
        if (ends) {
          const list = delivered.get(r.target) ?? [];
          list.push(item);
          delivered.set(r.target, list);
        }
      }
      if (rows.length >= 5000) await flush();
    }
    await flush();
  }

  /**
   * Hands conversation items to the conversation service once readable. They travel under their
   * conversation's own id (publishConversationItem), never a direct conversation's, which
   * carries texts only: those are not opened here (one AEAD less per text received).
   */
  private async dispatch(
    item: Uint8Array,
    epochId: Uint8Array,
    fromUser: string,
    conversation: string,
  ): Promise<void> {
    if (!this.conversationHandler || isDirectConversationId(conversation)) return;
    const key = await this.epochKey(epochId);
    if (!key) return;
    try {
      // Verified before it was stored (commitInbox) or made here: opened without verifying again.
      const opened = openVerifiedChatMessage(item, key, this.backend);
      if (opened.body.t === 'conv')
        await this.conversationHandler(opened.body.kind, opened.body.bytes, fromUser);
    } catch (err) {
      this.node.log.warn(
        { code: isKithError(err) ? err.code : undefined },
        'messenger: a conversation item was refused',
      );
    }
  }

  /**
   * Queues a receipt for an item; what queues in one turn goes out as one signed v2 receipt per
   * origin. `from` is the link the item came on: when that is not the origin's, it is a relay's.
   */
  private confirm(
    origin: string,
    target: string,
    state: 'delivered' | 'relayed',
    item: Uint8Array,
    from?: PeerSession,
  ): void {
    if (this.node.locked) return; // a receipt needs the device key; the origin keeps its copy
    const key = `${origin}\n${target}\n${state}`;
    let due = this.receiptsDue.get(key);
    if (due) due.items.push(item);
    else {
      due = { origin, target, state, items: [item], via: new Set() };
      this.receiptsDue.set(key, due);
    }
    if (from && from.deviceId !== origin) due.via.add(from);
    if (!this.receiptsScheduled) {
      this.receiptsScheduled = true;
      setImmediate(() => this.sendReceipts());
    }
  }

  /** Sends the queued receipts to their origin devices (best effort; never themselves receipted). */
  private sendReceipts(): void {
    this.receiptsScheduled = false;
    const due = [...this.receiptsDue.values()];
    this.receiptsDue.clear();
    const at = this.clock();
    for (const { origin, target, state, items, via } of due) {
      if (origin === this.me) {
        // Our own item passed through us as a relay: noted, nothing to sign.
        if (state === 'relayed') {
          void this.db
            .insert(receipts)
            .values(items.map((itemId) => ({ itemId, device: this.me, state, at: new Date(at) })))
            .onConflictDoNothing()
            .catch((err) => this.node.log.warn({ err }, 'messenger: could not note a relayed item'));
        }
        continue;
      }
      for (let i = 0; i < items.length; i += RECEIPT_MAX_ITEMS) {
        const bytes = signReceiptBatch(
          { items: items.slice(i, i + RECEIPT_MAX_ITEMS), target, state, at },
          this.signing,
          this.backend,
        );
        const direct = this.node.session(origin);
        if (direct) {
          this.sendDeliver(direct, 'receipt', bytes, [origin], 0);
          // A relay that brought any of these gets the receipt too (it releases what it holds,
          // and forwards it to the origin: a duplicate there, ignored). Without a direct link
          // it goes to every online peer below, the relay among them.
          for (const relay of via) {
            if (relay !== direct && this.node.session(relay.deviceId) === relay)
              this.sendDeliver(relay, 'receipt', bytes, [origin], 0);
          }
          continue;
        }
        for (const peer of this.node.onlineSessions()) this.sendDeliver(peer, 'receipt', bytes, [origin], 0);
      }
    }
  }

  private async expireHeld(): Promise<void> {
    // What was kept for this device while it was locked waits for the unlock, however long.
    const gone = await this.db
      .delete(relayQueue)
      .where(and(lt(relayQueue.expiresAt, new Date(this.clock())), ne(relayQueue.targetDevice, this.me)))
      .returning({ id: relayQueue.itemId });
    if (gone.length) this.relay.forgetUsage();
  }

  /**
   * The device was unlocked: reads what was kept for it while locked, in arrival order, as if
   * it came now (stored, receipted, handed on), then drops the kept copies.
   */
  async keptForUnlock(): Promise<number> {
    const kept = await this.db
      .select()
      .from(relayQueue)
      .where(eq(relayQueue.targetDevice, this.me))
      .orderBy(asc(relayQueue.createdAt));
    await Promise.all(
      kept.map((row) => this.accept(row.kind as Kind, row.item, row.origin, row.itemId, undefined)),
    );
    for (let i = 0; i < kept.length; i += 500) {
      const ids = kept.slice(i, i + 500).map((r) => r.itemId);
      await this.db
        .delete(relayQueue)
        .where(and(eq(relayQueue.targetDevice, this.me), inArray(relayQueue.itemId, ids)));
    }
    if (kept.length) this.relay.forgetUsage();
    return kept.length;
  }

  /** The device was locked: epoch keys held in memory go with it. */
  forgetKeys(): void {
    this.epochs.clear();
    this.keyCache.clear();
    this.ownBackend = undefined;
  }

  // --- reading ----------------------------------------------------------------------------

  private readonly keyCache = new Map<string, Uint8Array>();

  private async epochKey(epochId: Uint8Array): Promise<Uint8Array | undefined> {
    const hex = toHex(epochId);
    const cached = this.keyCache.get(hex);
    if (cached) return cached;
    const [row] = await this.db.select().from(epochKeys).where(eq(epochKeys.epochId, epochId)).limit(1);
    if (!row) return undefined;
    const key = openBox(this.node.options.device.storageKey, 'epoch-key', row.keySealed);
    this.keyCache.set(hex, key);
    return key;
  }

  async list(conversation?: string, limit = 1000): Promise<MessageView[]> {
    if (this.node.locked) throw new KithError('NODE_LOCKED'); // not even who wrote when
    const rows = await this.db
      .select()
      .from(messages)
      .where(conversation ? eq(messages.conversationId, conversation) : undefined)
      .orderBy(asc(messages.sentAt), asc(messages.id))
      .limit(limit);
    const out: MessageView[] = [];
    for (const row of rows) {
      const key = await this.epochKey(row.epochId);
      if (!key) continue;
      let opened: ReturnType<typeof openVerifiedChatMessage>;
      try {
        // Every stored message was verified before it was stored, or made here.
        opened = openVerifiedChatMessage(row.item, key, this.backend);
      } catch {
        continue;
      }
      if (opened.body.t !== 'text') continue;
      const rs =
        row.senderDevice === this.me
          ? await this.db.select().from(receipts).where(eq(receipts.itemId, row.id))
          : [];
      out.push({
        id: toHex(row.id),
        conversation: row.conversationId,
        from: row.senderUser,
        fromDevice: row.senderDevice,
        text: opened.body.text,
        sentAt: row.sentAt.toISOString(),
        receivedAt: row.receivedAt.toISOString(),
        delivered: rs.filter((r) => r.state === 'delivered').map((r) => r.device),
        relayed: rs.filter((r) => r.state === 'relayed').map((r) => r.device),
      });
    }
    return out;
  }

  async pending(): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(outbox);
    return Number(row?.n ?? 0);
  }
}
