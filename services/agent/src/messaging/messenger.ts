/**
 * Messages between friends (issue "Network agent II", DESIGN §5, §7). Each item (a chat message
 * sealed under the sender's epoch key, an epoch-key envelope, a receipt) takes the first route
 * that works:
 *   1. straight to each target device that is online;
 *   2. otherwise handed to the online peers on the target user's signed relay list (DESIGN §7),
 *      or, when none of those is online, to every online peer: one that has a link to the
 *      target forwards it (bounded hops), one that relays for the target's user holds it;
 * and the sender keeps it in its outbox until the target's signed "delivered" receipt arrives,
 * retrying whenever links come up. Items are deduplicated by id everywhere.
 */
import { constantTimeEqual, toHex } from '@kith/core/crypto/index';
import { KithError, isKithError } from '@kith/core/errors';
import {
  type ChatBody,
  openChatMessage,
  sealChatMessage,
  verifyChatMessage,
} from '@kith/core/messaging/chat-message';
import { directConversationId } from '@kith/core/messaging/direct-conversation';
import {
  EPOCH_MAX_AGE_MS,
  EPOCH_MAX_MESSAGES,
  openEpochKey,
  recipientsFingerprint,
  sealEpochKey,
} from '@kith/core/messaging/epoch-key';
import { itemId } from '@kith/core/messaging/item-id';
import { signReceipt, verifyReceipt } from '@kith/core/messaging/receipt';
import { verifyEnvelope } from '@kith/core/envelope';
import type { DeliverMessage, DeliverRefusedMessage } from '@kith/core/wire/deliver';
import { MAX_HOPS } from '@kith/core/wire/deliver';
import type { MessageOf } from '@kith/core/wire/message';
import { and, asc, count, desc, eq, lt, sql, sum } from 'drizzle-orm';
import { epochKeys, messages, outbox, receipts, relayQueue } from '../../../../db/schema.ts';
import type { AgentEvent } from '../event-bus.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';
import type { PeerNode } from '../peer/peer-node.ts';
import type { PeerSession } from '../peer/peer-session.ts';
import { openBox, sealBox } from '../peer/sealed-box.ts';

type Deliver = MessageOf<typeof DeliverMessage>;
type Kind = Deliver['kind'];

export interface MessengerOptions {
  relayEnabled: boolean;
  /** Ciphertext held per friend (user), bytes and items. */
  userQuotaBytes: number;
  userQuotaItems: number;
  /** Held items expire after this long. */
  holdMs: number;
  /** How often undelivered items are retried and expired ones dropped. */
  pumpMs: number;
}

export const DEFAULT_MESSENGER_OPTIONS: MessengerOptions = {
  relayEnabled: true,
  userQuotaBytes: 256 * 1024 * 1024,
  userQuotaItems: 50_000,
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

/** An item on a live link is sent again when no receipt came after this many pump intervals. */
const RESEND_AFTER_PUMPS = 5;
/** An undelivered item is offered again to the same relays after this many pump intervals. */
const REOFFER_AFTER_PUMPS = 15;

export class Messenger {
  readonly name = 'messenger';
  private readonly options: MessengerOptions;
  private timer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;
  /**
   * item/target -> the peer sessions it was handed to while the target was offline, and when.
   * Keyed by session, not device: a peer that restarted gets it again (what it held in memory,
   * or a socket that was dying, may be gone). Re-offered after a while, in case a relay lost it
   * or its receipt got lost.
   */
  private readonly handedTo = new Map<string, { sessions: Set<PeerSession>; at: number }>();
  private pumping = false;
  private repump = false;
  /** Conversation items go to the conversation service. */
  conversationHandler: ConversationItemHandler | undefined;

  constructor(
    private readonly node: PeerNode,
    options: Partial<MessengerOptions> = {},
  ) {
    this.options = { ...DEFAULT_MESSENGER_OPTIONS, ...options };
    node.delivery = this;
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

  async start(): Promise<void> {
    this.unsubscribe = this.node.options.events.subscribe((e: AgentEvent) => {
      if (e.type === 'peer.online') void this.flushTo(String(e.data.deviceId));
    });
    this.timer = setInterval(() => void this.pump(), this.options.pumpMs);
    this.timer.unref?.();
    void this.pump();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  // --- sending ----------------------------------------------------------------------------

  /** The devices a conversation's items go to: every active device of its member users but this one. */
  private async memberDevices(userIds: string[]): Promise<DeviceRow[]> {
    const out: DeviceRow[] = [];
    for (const user of new Set(userIds)) {
      if (user !== this.node.userId && !(await this.node.friends.isFriend(user))) continue;
      for (const d of await this.node.identity.devicesOf(user)) {
        if (d.status === 'active' && d.deviceId !== this.me) out.push(d);
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
      if (target.to !== this.node.userId && !(await this.node.friends.isFriend(target.to))) {
        throw new KithError('NOT_A_FRIEND');
      }
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
    const now = this.clock();
    const item = sealChatMessage(
      {
        conv: conversation,
        epoch: epoch.id,
        epochKey: epoch.key,
        sender: this.node.options.device.keys.signing,
        sentAt: now,
        body,
      },
      this.node.random,
    );
    const id = itemId(item);
    await this.db.insert(messages).values({
      id,
      conversationId: conversation,
      senderDevice: this.me,
      senderUser: this.node.userId,
      epochId: epoch.id,
      sentAt: new Date(now),
      receivedAt: new Date(now),
      item,
    });
    await this.db
      .update(epochKeys)
      .set({ messageCount: sql`${epochKeys.messageCount} + 1` })
      .where(eq(epochKeys.epochId, epoch.id));
    await this.enqueue(
      'message',
      item,
      targets.map((t) => t.deviceId),
    );
    this.node.options.events.publish('message.sent', { id: toHex(id), conversation });
    return toHex(id);
  }

  /** This device's epoch for a conversation, rotated when the member devices change or it is old (DESIGN §5). */
  private async currentEpoch(
    conversation: string,
    targets: DeviceRow[],
  ): Promise<{ id: Uint8Array; key: Uint8Array }> {
    const fingerprint = recipientsFingerprint(targets.map((t) => t.staticPublicKey));
    const [latest] = await this.db
      .select()
      .from(epochKeys)
      .where(and(eq(epochKeys.conversationId, conversation), eq(epochKeys.senderDevice, this.me)))
      .orderBy(desc(epochKeys.createdAt))
      .limit(1);
    const now = this.clock();
    if (
      latest &&
      latest.recipients === fingerprint &&
      now - latest.createdAt.getTime() < EPOCH_MAX_AGE_MS &&
      latest.messageCount < EPOCH_MAX_MESSAGES
    ) {
      return {
        id: latest.epochId,
        key: openBox(this.node.options.device.storageKey, 'epoch-key', latest.keySealed),
      };
    }
    const epoch = { conv: conversation, epoch: this.node.random(16), key: this.node.random(32) };
    await this.db.insert(epochKeys).values({
      epochId: epoch.epoch,
      conversationId: conversation,
      senderDevice: this.me,
      keySealed: sealBox(this.node.options.device.storageKey, 'epoch-key', epoch.key, this.node.random),
      recipients: fingerprint,
      createdAt: new Date(now),
    });
    if (targets.length) {
      const envelope = await sealEpochKey(
        epoch,
        targets.map((t) => t.staticPublicKey),
        this.node.options.device.keys.signing,
        now,
        this.node.random,
      );
      await this.enqueue(
        'epoch-key',
        envelope,
        targets.map((t) => t.deviceId),
      );
    }
    return { id: epoch.epoch, key: epoch.key };
  }

  private async enqueue(kind: Kind, item: Uint8Array, targets: string[]): Promise<void> {
    if (targets.length === 0) return;
    const id = itemId(item);
    const now = new Date(this.clock());
    await this.db
      .insert(outbox)
      .values(targets.map((targetDevice) => ({ itemId: id, targetDevice, kind, item, createdAt: now })))
      .onConflictDoNothing();
    void this.pump();
  }

  /** Retries every undelivered item: direct when the target is online, else via online peers. */
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
        const rows = await this.db.select().from(outbox).orderBy(asc(outbox.createdAt)).limit(2000);
        const now = this.clock();
        const relaysOf = new Map<string, Set<string>>();
        for (const row of rows) {
          const direct = this.node.session(row.targetDevice);
          if (direct) {
            // On a live link a receipt comes back in milliseconds; resending sooner than a few
            // pump intervals only doubles the work of a peer that is busy (bench/messaging).
            if (
              row.lastAttemptAt &&
              now - row.lastAttemptAt.getTime() < this.options.pumpMs * RESEND_AFTER_PUMPS
            )
              continue;
            if (this.sendDeliver(direct, row.kind as Kind, row.item, [row.targetDevice], 0)) {
              await this.db
                .update(outbox)
                .set({ lastAttemptAt: new Date(now) })
                .where(and(eq(outbox.itemId, row.itemId), eq(outbox.targetDevice, row.targetDevice)));
            }
            continue;
          }
          const key = `${toHex(row.itemId)}/${row.targetDevice}`;
          let entry = this.handedTo.get(key);
          if (entry && now - entry.at > this.options.pumpMs * REOFFER_AFTER_PUMPS) entry = undefined;
          const handed = entry?.sessions ?? new Set<PeerSession>();
          // The target user's listed relays first; only with none online, every peer (§10).
          const relays = await this.relaysFor(row.targetDevice, relaysOf);
          const online = this.node.onlineSessions();
          const listed = online.filter((p) => relays.has(p.deviceId));
          for (const peer of listed.length ? listed : online) {
            if (handed.has(peer)) continue;
            if (this.sendDeliver(peer, row.kind as Kind, row.item, [row.targetDevice], 0)) handed.add(peer);
          }
          if (handed.size) this.handedTo.set(key, { sessions: handed, at: entry?.at ?? now });
        }
      } while (this.repump);
    } catch (err) {
      this.node.log.warn({ err }, 'messenger: pump failed');
    } finally {
      this.pumping = false;
    }
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

  private async flushHeld(deviceId: string): Promise<void> {
    const session = this.node.session(deviceId);
    if (!session) return;
    const held = await this.db.select().from(relayQueue).where(eq(relayQueue.targetDevice, deviceId));
    for (const row of held) {
      if (!this.sendDeliver(session, row.kind as Kind, row.item, [deviceId], 1, row.origin)) break;
      // Sent on the link: the target dedupes, and the origin keeps its copy until "delivered".
      await this.db
        .delete(relayQueue)
        .where(and(eq(relayQueue.itemId, row.itemId), eq(relayQueue.targetDevice, deviceId)));
    }
    void this.pump();
  }

  // --- receiving --------------------------------------------------------------------------

  async onDeliver(session: PeerSession, m: Deliver): Promise<void> {
    const id = itemId(m.item);
    if (m.to.includes(this.me)) await this.accept(m.kind, m.item, m.origin, id, session);
    const others = m.to.filter((t) => t !== this.me);
    if (others.length === 0 || m.hops >= MAX_HOPS) return;
    for (const target of others) await this.carry(session, m, id, target);
  }

  /** Forward to a linked target, or hold for it if we relay for its user. */
  private async carry(from: PeerSession, m: Deliver, id: Uint8Array, target: string): Promise<void> {
    const next = this.node.session(target);
    if (next && next !== from) {
      if (this.sendDeliver(next, m.kind, m.item, [target], m.hops + 1, m.origin)) {
        if (m.kind !== 'receipt') await this.receipt(id, target, 'relayed', m.origin);
      }
      return;
    }
    if (!this.options.relayEnabled || m.kind === 'receipt') return;
    const targetRow = await this.node.identity.device(target);
    const originRow = await this.node.identity.device(m.origin);
    if (targetRow?.status !== 'active' || !originRow) return;
    const related = async (user: string) =>
      user === this.node.userId || (await this.node.friends.isFriend(user));
    if (!(await related(targetRow.userId)) || !(await related(originRow.userId))) return;
    const owner = originRow.userId;
    const [usage] = await this.db
      .select({ bytes: sum(relayQueue.size), items: count() })
      .from(relayQueue)
      .where(eq(relayQueue.ownerUser, owner));
    const usedBytes = Number(usage?.bytes ?? 0);
    const usedItems = Number(usage?.items ?? 0);
    if (
      usedBytes + m.item.length > this.options.userQuotaBytes ||
      usedItems + 1 > this.options.userQuotaItems
    ) {
      from.send({ v: 1, t: 'deliver-refused', item: id, target, code: 'RELAY_QUOTA' });
      this.node.options.events.publish('relay.refused', { owner, target, code: 'RELAY_QUOTA' });
      this.node.log.info({ owner, usedBytes, usedItems }, 'relay: quota reached, refused an item');
      return;
    }
    const now = this.clock();
    const inserted = await this.db
      .insert(relayQueue)
      .values({
        itemId: id,
        targetDevice: target,
        ownerUser: owner,
        origin: m.origin,
        kind: m.kind,
        item: m.item,
        size: m.item.length,
        createdAt: new Date(now),
        expiresAt: new Date(now + this.options.holdMs),
      })
      .onConflictDoNothing()
      .returning({ id: relayQueue.itemId });
    if (inserted.length) {
      this.node.options.events.publish('relay.held', { target, owner });
      await this.receipt(id, target, 'relayed', m.origin);
    }
  }

  async onDeliverRefused(session: PeerSession, m: MessageOf<typeof DeliverRefusedMessage>): Promise<void> {
    this.node.options.events.publish('relay.refused', {
      by: session.deviceId,
      target: m.target,
      code: m.code,
    });
  }

  private async accept(
    kind: Kind,
    item: Uint8Array,
    origin: string,
    id: Uint8Array,
    from: PeerSession,
  ): Promise<void> {
    try {
      if (kind === 'receipt') return await this.acceptReceipt(item);
      const isNew =
        kind === 'message' ? await this.acceptMessage(item, id) : await this.acceptEpochKey(item, id);
      // Always confirm, even a duplicate: the first receipt may have been lost.
      await this.receipt(id, this.me, 'delivered', origin);
      if (isNew) void this.pump();
    } catch (err) {
      this.node.log.warn(
        { code: isKithError(err) ? err.code : undefined, from: from.deviceId, kind },
        'messenger: refused an item',
      );
    }
  }

  private async senderOf(signingKey: Uint8Array): Promise<DeviceRow> {
    const row = await this.node.identity.deviceBySigningKey(signingKey);
    if (row?.status !== 'active')
      throw new KithError('MESSAGE_INVALID', 'It comes from an unknown or revoked device.');
    if (row.userId !== this.node.userId && !(await this.node.friends.isFriend(row.userId))) {
      throw new KithError('NOT_A_FRIEND');
    }
    return row;
  }

  private async acceptMessage(item: Uint8Array, id: Uint8Array): Promise<boolean> {
    const header = verifyChatMessage(item);
    const sender = await this.senderOf(header.sender);
    const inserted = await this.db
      .insert(messages)
      .values({
        id,
        conversationId: header.conv,
        senderDevice: sender.deviceId,
        senderUser: sender.userId,
        epochId: header.epoch,
        sentAt: new Date(header.sentAt),
        receivedAt: new Date(this.clock()),
        item,
      })
      .onConflictDoNothing()
      .returning({ id: messages.id });
    if (inserted.length === 0) return false;
    this.node.options.events.publish('message.received', {
      id: toHex(id),
      conversation: header.conv,
      from: sender.userId,
    });
    await this.dispatch(item, header.epoch, sender.userId);
    return true;
  }

  private async acceptEpochKey(item: Uint8Array, id: Uint8Array): Promise<boolean> {
    void id;
    const env = verifyEnvelope(item);
    const sender = await this.senderOf(env.sender);
    const epoch = await openEpochKey(item, this.node.options.device.keys.agreement);
    if (!constantTimeEqual(epoch.sender, env.sender)) throw new KithError('MESSAGE_INVALID');
    const inserted = await this.db
      .insert(epochKeys)
      .values({
        epochId: epoch.epoch,
        conversationId: epoch.conv,
        senderDevice: sender.deviceId,
        keySealed: sealBox(this.node.options.device.storageKey, 'epoch-key', epoch.key, this.node.random),
        recipients: '',
        createdAt: new Date(this.clock()),
      })
      .onConflictDoNothing()
      .returning({ id: epochKeys.epochId });
    if (inserted.length === 0) return false;
    // Messages that arrived before their key can be read now.
    const waiting = await this.db.select().from(messages).where(eq(messages.epochId, epoch.epoch));
    for (const m of waiting) await this.dispatch(m.item, epoch.epoch, m.senderUser);
    return true;
  }

  /** Hands conversation items to the conversation service once readable. */
  private async dispatch(item: Uint8Array, epochId: Uint8Array, fromUser: string): Promise<void> {
    if (!this.conversationHandler) return;
    const key = await this.epochKey(epochId);
    if (!key) return;
    try {
      const opened = openChatMessage(item, key);
      if (opened.body.t === 'conv')
        await this.conversationHandler(opened.body.kind, opened.body.bytes, fromUser);
    } catch (err) {
      this.node.log.warn(
        { code: isKithError(err) ? err.code : undefined },
        'messenger: a conversation item was refused',
      );
    }
  }

  private async acceptReceipt(item: Uint8Array): Promise<void> {
    const r = verifyReceipt(item);
    const signer = await this.node.identity.deviceBySigningKey(r.signer);
    if (!signer) return;
    await this.db
      .insert(receipts)
      .values({
        itemId: r.item,
        device: r.state === 'delivered' ? r.target : signer.deviceId,
        state: r.state,
        at: new Date(r.at),
      })
      .onConflictDoNothing();
    // Only the target itself can say "delivered".
    if (r.state === 'delivered' && signer.deviceId === r.target) {
      await this.db.delete(outbox).where(and(eq(outbox.itemId, r.item), eq(outbox.targetDevice, r.target)));
      this.handedTo.delete(`${toHex(r.item)}/${r.target}`);
    }
    this.node.options.events.publish('receipt', { item: toHex(r.item), device: r.target, state: r.state });
  }

  /** Sends a signed receipt to the item's origin device (best effort; never itself receipted). */
  private async receipt(
    item: Uint8Array,
    target: string,
    state: 'delivered' | 'relayed',
    origin: string,
  ): Promise<void> {
    if (origin === this.me) {
      if (state === 'relayed') {
        await this.db
          .insert(receipts)
          .values({ itemId: item, device: this.me, state, at: new Date(this.clock()) })
          .onConflictDoNothing();
      }
      return;
    }
    const bytes = signReceipt(
      { item, target, state, at: this.clock() },
      this.node.options.device.keys.signing,
    );
    const direct = this.node.session(origin);
    if (direct) {
      this.sendDeliver(direct, 'receipt', bytes, [origin], 0);
      return;
    }
    for (const peer of this.node.onlineSessions()) this.sendDeliver(peer, 'receipt', bytes, [origin], 0);
  }

  private async expireHeld(): Promise<void> {
    await this.db.delete(relayQueue).where(lt(relayQueue.expiresAt, new Date(this.clock())));
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
      let opened: ReturnType<typeof openChatMessage>;
      try {
        opened = openChatMessage(row.item, key);
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
