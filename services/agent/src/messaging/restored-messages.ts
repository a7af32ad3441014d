/**
 * Conversations restored from the archive (docs/ARCHITECTURE.md "Restoring the archive"): after a
 * recovery, the restore run (`archive/archive-restore.ts`, `kith archive restore --phrase-file F`)
 * opens the archived transcripts the person's phrase can open and keeps their messages here, sealed under
 * this device's storage key (one secret per conversation), and shows them among its messages.
 *
 * They are texts, not the signed items the senders made (a transcript keeps what was said, by
 * whom, when), so they live beside the `messages` table rather than in it. The archivist seals
 * them again with the rest of the conversation (transcript-source.ts reads them through the
 * message list), to today's devices: the phrase is not needed for them again.
 */
import { fromHex, toHex, utf8 } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { messages as messageTable } from '@kith/db/schema';
import { inArray } from 'drizzle-orm';
import type { PeerNode } from '../peer/peer-node.ts';
import { openBox, sealBox } from '../peer/sealed-box.ts';
import { SecretRepository } from '../repositories/secret-repository.ts';
import type { MessageView } from './messenger-options.ts';

const PREFIX = 'restored:';
const PURPOSE = 'kith/v1/local/restored-conversation';
/** Messages kept per restored conversation (the newest); a transcript holds fewer. */
export const MAX_RESTORED_MESSAGES = 10_000;

export interface RestoredMessage {
  id: string;
  from: string;
  device: string;
  sentAt: number;
  text: string;
}

export interface RestoredConversation {
  conversation: string;
  kind: 'direct' | 'group';
  title: string;
  members: string[];
  messages: RestoredMessage[];
}

export class RestoredMessages {
  private readonly secrets: SecretRepository;

  constructor(private readonly node: PeerNode) {
    this.secrets = new SecretRepository(node.options.components.db.db);
  }

  private get key(): Uint8Array {
    return this.node.options.device.storageKey;
  }

  /** Keeps a transcript's messages (merged by id with what an earlier restore kept). */
  async restore(c: RestoredConversation): Promise<{ conversation: string; added: number; messages: number }> {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(c.conversation))
      throw new KithError('INVALID_INPUT', 'A conversation id is letters, digits, - and _.');
    const earlier = await this.get(c.conversation);
    const byId = new Map((earlier?.messages ?? []).map((m) => [m.id, m]));
    const before = byId.size;
    // A message this device holds as an item (it came after the recovery) is not kept twice.
    const held = await this.heldItems(c.messages.map((m) => m.id));
    for (const m of c.messages) if (!byId.has(m.id) && !held.has(m.id)) byId.set(m.id, { ...m });
    const messages = [...byId.values()]
      .sort((a, b) => a.sentAt - b.sentAt || (a.id < b.id ? -1 : 1))
      .slice(-MAX_RESTORED_MESSAGES);
    const value: RestoredConversation = { ...c, messages };
    const sealed = sealBox(this.key, PURPOSE, utf8.encode(JSON.stringify(value)), this.node.random);
    await this.secrets.put(PREFIX + c.conversation, sealed, new Date(this.node.clock()));
    return { conversation: c.conversation, added: byId.size - before, messages: messages.length };
  }

  private async heldItems(ids: string[]): Promise<Set<string>> {
    const hex = ids.filter((id) => /^([0-9a-f]{2})+$/.test(id));
    if (hex.length === 0) return new Set();
    const rows = await this.node.options.components.db.db
      .select({ id: messageTable.id })
      .from(messageTable)
      .where(inArray(messageTable.id, hex.map(fromHex)));
    return new Set(rows.map((r) => toHex(r.id)));
  }

  async get(conversation: string): Promise<RestoredConversation | undefined> {
    const sealed = await this.secrets.get(PREFIX + conversation);
    return sealed ? this.open(sealed) : undefined;
  }

  async all(): Promise<RestoredConversation[]> {
    const rows = await this.secrets.byPrefix(PREFIX);
    return rows.map((r) => this.open(r.ciphertext));
  }

  private open(sealed: Uint8Array): RestoredConversation {
    return JSON.parse(utf8.decode(openBox(this.key, PURPOSE, sealed))) as RestoredConversation;
  }

  /** As the message list shows them: no receipts (they were read on the lost devices). */
  async views(conversation?: string): Promise<MessageView[]> {
    const list = conversation ? [await this.get(conversation)] : await this.all();
    const out: MessageView[] = [];
    for (const c of list) {
      if (!c) continue;
      for (const m of c.messages) {
        const at = new Date(m.sentAt).toISOString();
        out.push({
          id: m.id,
          conversation: c.conversation,
          from: m.from,
          fromDevice: m.device,
          text: m.text,
          sentAt: at,
          receivedAt: at,
          delivered: [],
          relayed: [],
        });
      }
    }
    return out;
  }

  /** Per conversation: the newest message and how many (for the archivist's summaries). */
  async activity(): Promise<Map<string, { last: number; rows: number }>> {
    const out = new Map<string, { last: number; rows: number }>();
    for (const c of await this.all()) {
      const last = c.messages.reduce((n, m) => Math.max(n, m.sentAt), 0);
      if (c.messages.length) out.set(c.conversation, { last, rows: c.messages.length });
    }
    return out;
  }
}
