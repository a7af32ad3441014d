/**
 * The messenger's hot statements, built by hand (ARCHITECTURE "Messaging performance"), as
 * the archive's batch writer does: drizzle's insert builder spends about 30 µs per row turning
 * values into parameters, and a drizzle transaction is a BEGIN and a COMMIT of its own. Each
 * function here is ONE statement (data-modifying CTEs run once and to completion), so it is
 * atomic without a transaction and costs one round trip. Bytes go as hex text decoded by the
 * database (`decode($n, 'hex')`): PGlite's own bytea serializer builds one string per byte,
 * which was its largest cost in the messaging bench; instants go as ISO strings. Both drivers
 * see the same text.
 */
import { rowsOf } from '@kith/db/migrate';
import type { Executor } from '@kith/db/database';

export type { Executor, KithTx } from '@kith/db/database';

async function run<T>(ex: Executor, text: string, params: unknown[]): Promise<T[]> {
  const result = await ex._.session
    .prepareQuery({ sql: text, params }, undefined, undefined, false)
    .execute();
  return rowsOf<T>(result);
}

class Params {
  readonly values: unknown[] = [];
  readonly #seen = new Map<unknown, string>();
  add(v: unknown): string {
    return `$${this.values.push(v)}`;
  }
  /** Bytes, as hex text the database decodes. */
  bytes(v: Uint8Array): string {
    return `decode(${this.add(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex'))}, 'hex')`;
  }
  /** The same value (by identity) is passed once and referred to again. */
  once(v: unknown): string {
    let ref = this.#seen.get(v);
    if (!ref) {
      ref = this.add(v);
      this.#seen.set(v, ref);
    }
    return ref;
  }
}

export interface SentMessage {
  id: Uint8Array;
  conversation: string;
  epochId: Uint8Array;
  at: number;
  item: Uint8Array;
  targets: string[];
}

/**
 * A batch of messages this device made: the messages, one outbox row per target naming each
 * (no second copy of the bytes), and each epoch's message count raised once.
 */
export async function insertSentMessages(
  ex: Executor,
  batch: readonly SentMessage[],
  sender: { device: string; user: string },
): Promise<void> {
  const p = new Params();
  const device = p.add(sender.device);
  const user = p.add(sender.user);
  const msgTuples: string[] = [];
  const outboxTuples: string[] = [];
  const counts = new Map<string, { id: string; n: number }>();
  for (const m of batch) {
    const id = p.bytes(m.id);
    const at = p.add(new Date(m.at).toISOString());
    const epoch = p.bytes(m.epochId);
    msgTuples.push(
      `(${id}, ${p.once(m.conversation)}, ${device}, ${user}, ${epoch}, ${at}, ${at}, ${p.bytes(m.item)})`,
    );
    for (const t of m.targets) outboxTuples.push(`(${id}, ${p.once(t)}, 'message', null, ${at})`);
    const key = Buffer.from(m.epochId).toString('hex');
    const c = counts.get(key) ?? { id: epoch, n: 0 };
    c.n++;
    counts.set(key, c);
  }
  const ctes = [
    `m as (insert into "messages" ("id", "conversation_id", "sender_device", "sender_user", "epoch_id", "sent_at", "received_at", "item") values ${msgTuples.join(', ')})`,
  ];
  if (outboxTuples.length) {
    ctes.push(
      `o as (insert into "outbox" ("item_id", "target_device", "kind", "item", "created_at") values ${outboxTuples.join(', ')} on conflict do nothing)`,
    );
  }
  let i = 0;
  for (const c of counts.values()) {
    ctes.push(
      `e${i++} as (update "epoch_keys" set "message_count" = "message_count" + ${c.n} where "epoch_id" = ${c.id})`,
    );
  }
  await run(ex, `with ${ctes.join(', ')} select 1`, p.values);
}

export interface ReceivedMessage {
  id: Uint8Array;
  conversation: string;
  senderDevice: string;
  senderUser: string;
  epochId: Uint8Array;
  sentAt: number;
  item: Uint8Array;
}

/** Messages from others, each stored once (by id); returns the ids that were new. */
export async function insertReceivedMessages(
  ex: Executor,
  rows: readonly ReceivedMessage[],
  receivedAt: number,
): Promise<Uint8Array[]> {
  const p = new Params();
  const at = p.add(new Date(receivedAt).toISOString());
  const tuples = rows.map(
    (r) =>
      `(${p.bytes(r.id)}, ${p.once(r.conversation)}, ${p.once(r.senderDevice)}, ${p.once(r.senderUser)}, ${p.bytes(r.epochId)}, ${p.add(new Date(r.sentAt).toISOString())}, ${at}, ${p.bytes(r.item)})`,
  );
  const inserted = await run<{ id: Uint8Array }>(
    ex,
    `insert into "messages" ("id", "conversation_id", "sender_device", "sender_user", "epoch_id", "sent_at", "received_at", "item") values ${tuples.join(', ')} on conflict do nothing returning "id"`,
    p.values,
  );
  return inserted.map((r) => new Uint8Array(r.id));
}

export interface ReceiptRow {
  itemId: Uint8Array;
  device: string;
  state: 'delivered' | 'relayed';
  at: number;
}

/** Receipts for items this device made, and the outbox rows their targets confirmed, ended. */
export async function storeReceipts(
  ex: Executor,
  rows: readonly ReceiptRow[],
  delivered: ReadonlyMap<string, readonly Uint8Array[]>,
): Promise<void> {
  if (rows.length === 0) return;
  const p = new Params();
  const tuples = rows.map(
    (r) =>
      `(${p.bytes(r.itemId)}, ${p.once(r.device)}, '${r.state === 'delivered' ? 'delivered' : 'relayed'}', ${p.add(new Date(r.at).toISOString())})`,
  );
  const ctes = [
    `r as (insert into "receipts" ("item_id", "device", "state", "at") values ${tuples.join(', ')} on conflict do nothing)`,
  ];
  let i = 0;
  for (const [target, ids] of delivered) {
    if (ids.length === 0) continue;
    const list = ids.map((id) => p.bytes(id)).join(', ');
    ctes.push(
      `d${i++} as (delete from "outbox" where "target_device" = ${p.add(target)} and "item_id" in (${list}))`,
    );
  }
  await run(ex, `with ${ctes.join(', ')} select 1`, p.values);
}
