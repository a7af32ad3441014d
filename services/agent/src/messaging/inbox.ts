/**
 * Receiving (docs/DESIGN.md §5, §7): items for this device are checked at once (form,
 * signature) and stored in group commits, in arrival order; after each commit the new messages
 * are announced, conversation items handed to their service, and every accepted item confirmed.
 * An item that could not be stored or applied (a full disk) is refused instead of confirmed, so
 * its sender offers it again (docs/PROTOCOL.md §10).
 */
import { constantTimeEqual, toHex } from '@kith/core/crypto/index';
import { KithError, isKithError } from '@kith/core/errors';
import {
  type ChatHeader,
  openVerifiedChatMessage,
  verifyChatMessage,
} from '@kith/core/messaging/chat-message';
import { isDirectConversationId } from '@kith/core/messaging/direct-conversation';
import { openEpochKey } from '@kith/core/messaging/epoch-key';
import { type ReceiptBatch, openReceipt } from '@kith/core/messaging/receipt';
import { verifyEnvelope } from '@kith/core/envelope';
import { isDiskFull } from '../disk-full.ts';
import type { PeerNode } from '../peer/peer-node.ts';
import type { PeerSession } from '../peer/peer-session.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';
import type { MessageRepository } from '../repositories/message-repository.ts';
import type { Kind } from './deliver.ts';
import type { DirectoryCache } from './directory-cache.ts';
import type { Epochs } from './epochs.ts';
import { FriendAllowance } from './friend-allowance.ts';
import { GroupCommit } from './group-commit.ts';
import { BATCH_MAX, type ConversationItemHandler } from './messenger-options.ts';
import type { OutboxPump } from './outbox-pump.ts';
import type { OwnDevice } from './own-device.ts';
import type { Prekeys } from './prekeys.ts';
import type { Receipts } from './receipts.ts';

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

export interface InboxDeps {
  /** The conversation service's handler for conversation items, once set. */
  conversationHandler: () => ConversationItemHandler | undefined;
  /** Bytes of items one friend may have this device store per day. */
  friendBytesPerDay: number;
}

export class Inbox {
  private readonly inbox: GroupCommit<Incoming>;
  private readonly allowance: FriendAllowance;

  constructor(
    private readonly node: PeerNode,
    private readonly own: OwnDevice,
    private readonly repo: MessageRepository,
    private readonly directory: DirectoryCache,
    private readonly epochs: Epochs,
    private readonly receipts: Receipts,
    private readonly outbox: OutboxPump,
    private readonly prekeys: Prekeys,
    private readonly deps: InboxDeps,
  ) {
    this.allowance = new FriendAllowance(deps.friendBytesPerDay, own.clock);
    this.inbox = new GroupCommit((batch) => this.commitInbox(batch), BATCH_MAX);
  }

  /** Items waiting for their batch (not counting the one running). */
  get pending(): number {
    return this.inbox.pending;
  }

  idle(): Promise<void> {
    return this.inbox.idle();
  }

  /** Checks what needs no database at once (form, signature) and queues the rest. */
  accept(
    kind: Kind,
    item: Uint8Array,
    origin: string,
    id: Uint8Array,
    from: PeerSession | undefined,
  ): Promise<void> {
    let queued: Promise<void>;
    try {
      if (kind === 'message') {
        const header = verifyChatMessage(item, this.own.backend);
        queued = this.inbox.add({ kind, id, item, origin, from, header });
      } else if (kind === 'epoch-key') {
        queued = this.inbox.add({ kind, id, item, origin, from });
      } else {
        queued = this.inbox.add({ kind, from, receipt: openReceipt(item, this.own.backend) });
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
      // Not stored, so not confirmed: without a word the sender would wait for a receipt until
      // its next link to us (a link is never sent the same item twice), maybe for ever.
      if (kind !== 'receipt') this.notStored(err, id, from);
    });
  }

  /**
   * Tells the link an item came on that it was not stored (DISK_FULL, or INTERNAL for another
   * failure): its origin, or the relay that brought it, offers it again after a while.
   */
  private notStored(err: unknown, id: Uint8Array, from: PeerSession | undefined): void {
    const code = isDiskFull(err) ? 'DISK_FULL' : isKithError(err) ? err.code : 'INTERNAL';
    from?.send({ v: 1, t: 'deliver-refused', item: id, target: this.own.deviceId, code });
  }

  /** A friend's item within its daily allowance (friend-allowance.ts); past it, refused. */
  private allowed(
    sender: DeviceRow,
    x: { id: Uint8Array; item: Uint8Array; from: PeerSession | undefined },
  ): boolean {
    if (sender.userId === this.node.userId || this.allowance.take(sender.userId, x.item.length)) return true;
    x.from?.send({
      v: 1,
      t: 'deliver-refused',
      item: x.id,
      target: this.own.deviceId,
      code: 'MESSAGE_QUOTA',
    });
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
   * may have been lost). A conversation item the service could not store (a full disk) is
   * refused instead of confirmed, and applied when it comes again: a duplicate is handed to the
   * service again (which takes it once), since its first copy may have been stored but not
   * applied.
   */
  private async commitInbox(batch: Incoming[]): Promise<void> {
    const now = this.own.clock();
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
          const epoch = await openEpochKey(x.item, [
            this.node.options.device.keys.agreement,
            ...(await this.prekeys.privateKeys()),
          ]);
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
    // Epoch keys live on the secrecy schedule's clock (secrecy-schedule.ts).
    const keyTime = this.epochs.now();
    const sealedKeys: { keySealed: Uint8Array; eraseBucket: number }[] = [];
    for (const { epoch } of keys) sealedKeys.push(await this.epochs.sealForStore(epoch.key, keyTime));
    const inserted = await this.repo.insertReceived(
      msgs.map(({ x, sender }) => ({
        id: x.id,
        conversation: x.header.conv,
        senderDevice: sender.deviceId,
        senderUser: sender.userId,
        epochId: x.header.epoch,
        sentAt: x.header.sentAt,
        item: x.item,
      })),
      keys.map(({ sender, epoch }, i) => ({
        epochId: epoch.epoch,
        conversationId: epoch.conv,
        senderDevice: sender.deviceId,
        ...sealedKeys[i]!,
        recipients: '',
        createdAt: new Date(keyTime),
      })),
      now,
    );
    const newMessages = new Set(inserted.messages.map((id) => toHex(id)));
    const newEpochs = new Set(inserted.epochs.map((id) => toHex(id)));
    // Receipt rows and the outbox rows they end need no transaction with the rest: both are
    // idempotent, and a row left by a crash is sent again and confirmed again.
    if (rs.length) await this.receipts.store(rs);
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
        if (r.state === 'delivered') this.outbox.delivered(hex, r.target);
        this.node.options.events.publish('receipt', { item: hex, device: r.target, state: r.state });
      }
    }
    // Conversation items, in order, before they are confirmed; a message whose key came in this
    // batch is read with the others under that key below.
    const notApplied = new Map<string, unknown>();
    const handed = new Set<string>();
    for (const { x, sender } of msgs) {
      const hex = toHex(x.id);
      if (handed.has(hex) || newEpochs.has(toHex(x.header.epoch))) continue;
      handed.add(hex);
      const err = await this.dispatch(x.item, x.header.epoch, sender.userId, x.header.conv);
      if (err) notApplied.set(hex, err);
    }
    const keysHanded = new Set<string>();
    for (const { x, epoch } of keys) {
      const hex = toHex(epoch.epoch);
      // A direct conversation's key comes again with nothing to hand on (texts only).
      if (keysHanded.has(hex) || (!newEpochs.has(hex) && isDirectConversationId(epoch.conv))) continue;
      keysHanded.add(hex);
      // Messages that arrived before their key can be read now (again, for a key that came
      // before: what it opened may not have been applied).
      const waiting = await this.repo.messagesOfEpoch(epoch.epoch);
      for (const m of waiting) {
        const err = await this.dispatch(m.item, epoch.epoch, m.senderUser, m.conversationId);
        if (err) notApplied.set(toHex(x.id), err);
      }
    }
    for (const { x } of [...msgs, ...keys]) {
      const err = notApplied.get(toHex(x.id));
      if (err) this.notStored(err, x.id, x.from);
      else this.receipts.confirm(x.origin, this.own.deviceId, 'delivered', x.id, x.from);
    }
    this.receipts.sendReceipts();
  }

  /**
   * Hands conversation items to the conversation service once readable. They travel under their
   * conversation's own id (publishConversationItem), never a direct conversation's, which
   * carries texts only: those are not opened here (one AEAD less per text received).
   * Returns the error when the service could not store the item for want of disk space (it is
   * then refused, and comes again); any other failure is the item's own and is logged.
   */
  private async dispatch(
    item: Uint8Array,
    epochId: Uint8Array,
    fromUser: string,
    conversation: string,
  ): Promise<unknown> {
    const handler = this.deps.conversationHandler();
    if (!handler || isDirectConversationId(conversation)) return undefined;
    const key = await this.epochs.key(epochId);
    if (!key) return undefined;
    try {
      // Verified before it was stored (commitInbox) or made here: opened without verifying again.
      const opened = openVerifiedChatMessage(item, key, this.own.backend);
      if (opened.body.t === 'conv') await handler(opened.body.kind, opened.body.bytes, fromUser);
    } catch (err) {
      this.node.log.warn(
        { code: isDiskFull(err) ? 'DISK_FULL' : isKithError(err) ? err.code : undefined },
        'messenger: a conversation item was refused',
      );
      if (isDiskFull(err)) return err;
    }
    return undefined;
  }
}
