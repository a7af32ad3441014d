/** Reading stored messages back as texts with their receipts (the API's message list). */
import { decodeCanonical } from '@kith/core/codec';
import type { CryptoBackend } from '@kith/core/crypto/backend';
import { toHex } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { openVerifiedChatMessage } from '@kith/core/messaging/chat-message';
import type { PeerNode } from '../peer/peer-node.ts';
import { openBox } from '../peer/sealed-box.ts';
import type { MessageRepository, MessageRow } from '../repositories/message-repository.ts';
import type { Epochs } from './epochs.ts';
import type { MessageView } from './messenger-options.ts';
import { MESSAGE_BODY_PURPOSE } from './secrecy-sweep.ts';
import { RestoredMessages } from './restored-messages.ts';

export class MessageViews {
  /** Messages restored from the archive after a recovery, shown among the others. */
  readonly restored: RestoredMessages;

  constructor(
    private readonly node: PeerNode,
    private readonly repo: MessageRepository,
    private readonly epochs: Epochs,
    private readonly backendOf: () => CryptoBackend,
  ) {
    this.restored = new RestoredMessages(node);
  }

  private get me() {
    return this.node.deviceId;
  }
  private get backend(): CryptoBackend {
    return this.backendOf();
  }

  async list(conversation?: string, limit = 1000): Promise<MessageView[]> {
    if (this.node.locked) throw new KithError('NODE_LOCKED'); // not even who wrote when
    const rows = await this.repo.list(conversation, limit);
    const out: MessageView[] = [];
    for (const row of rows) {
      const text = await this.textOf(row);
      if (text === undefined) continue;
      const rs = row.senderDevice === this.me ? await this.repo.receiptsOf(row.id) : [];
      out.push({
        id: toHex(row.id),
        conversation: row.conversationId,
        from: row.senderUser,
        fromDevice: row.senderDevice,
        text,
        sentAt: row.sentAt.toISOString(),
        receivedAt: row.receivedAt.toISOString(),
        delivered: rs.filter((r) => r.state === 'delivered').map((r) => r.device),
        relayed: rs.filter((r) => r.state === 'relayed').map((r) => r.device),
      });
    }
    return this.withRestored(out, conversation, limit);
  }

  /** Restored messages merged in by time; a message this device also holds as an item shows once. */
  private async withRestored(
    held: MessageView[],
    conversation: string | undefined,
    limit: number,
  ): Promise<MessageView[]> {
    const restored = await this.restored.views(conversation);
    if (restored.length === 0) return held;
    const ids = new Set(held.map((m) => m.id));
    return [...held, ...restored.filter((m) => !ids.has(m.id))]
      .sort((a, b) => (a.sentAt === b.sentAt ? (a.id < b.id ? -1 : 1) : a.sentAt < b.sentAt ? -1 : 1))
      .slice(0, limit);
  }

  /**
   * A stored message's text: under the storage key once its epoch key was erased
   * (secrecy-sweep.ts), else under the epoch key; undefined for what is not a readable text.
   */
  private async textOf(row: MessageRow): Promise<string | undefined> {
    if (row.bodySealed) {
      try {
        const body = decodeCanonical(
          openBox(this.node.options.device.storageKey, MESSAGE_BODY_PURPOSE, row.bodySealed),
        ) as { t?: unknown; text?: unknown };
        return body.t === 'text' && typeof body.text === 'string' ? body.text : undefined;
      } catch {
        return undefined;
      }
    }
    const key = await this.epochs.key(row.epochId);
    if (!key) return undefined;
    try {
      // Every stored message was verified before it was stored, or made here.
      const opened = openVerifiedChatMessage(row.item, key, this.backend);
      return opened.body.t === 'text' ? opened.body.text : undefined;
    } catch {
      return undefined;
    }
  }

  /** Items still waiting for a target's "delivered" receipt. */
  async pending(): Promise<number> {
    return this.repo.outboxCount();
  }
}
