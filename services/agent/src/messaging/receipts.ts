/**
 * Receipts (docs/DESIGN.md §7): what this device confirms goes out as one signed v2 receipt per
 * (origin, batch), to the origin and to the relays that brought the items; receipts for items
 * this device made are stored per item, and "delivered" ends the outbox row.
 */
import { RECEIPT_MAX_ITEMS, type ReceiptBatch, signReceiptBatch } from '@kith/core/messaging/receipt';
import type { PeerNode } from '../peer/peer-node.ts';
import type { PeerSession } from '../peer/peer-session.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';
import type { MessageRepository } from '../repositories/message-repository.ts';
import { sendDeliver } from './deliver.ts';
import type { ReceiptRow } from './message-sql.ts';
import type { OwnDevice } from './own-device.ts';

export class Receipts {
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

  constructor(
    private readonly node: PeerNode,
    private readonly own: OwnDevice,
    private readonly repo: MessageRepository,
  ) {}

  /**
   * Queues a receipt for an item; what queues in one turn goes out as one signed v2 receipt per
   * origin. `from` is the link the item came on: when that is not the origin's, it is a relay's.
   */
  confirm(
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
  sendReceipts(): void {
    this.receiptsScheduled = false;
    const due = [...this.receiptsDue.values()];
    this.receiptsDue.clear();
    const at = this.own.clock();
    for (const { origin, target, state, items, via } of due) {
      if (origin === this.own.deviceId) {
        // Our own item passed through us as a relay: noted, nothing to sign.
        if (state === 'relayed') {
          void this.repo
            .noteRelayed(items, this.own.deviceId, at)
            .catch((err) => this.node.log.warn({ err }, 'messenger: could not note a relayed item'));
        }
        continue;
      }
      for (let i = 0; i < items.length; i += RECEIPT_MAX_ITEMS) {
        const bytes = signReceiptBatch(
          { items: items.slice(i, i + RECEIPT_MAX_ITEMS), target, state, at },
          this.own.signing,
          this.own.backend,
        );
        const direct = this.node.session(origin);
        if (direct) {
          sendDeliver(direct, 'receipt', bytes, [origin], 0, this.own.deviceId);
          // A relay that brought any of these gets the receipt too (it releases what it holds,
          // and forwards it to the origin: a duplicate there, ignored). Without a direct link
          // it goes to every online peer below, the relay among them.
          for (const relay of via) {
            if (relay !== direct && this.node.session(relay.deviceId) === relay)
              sendDeliver(relay, 'receipt', bytes, [origin], 0, this.own.deviceId);
          }
          continue;
        }
        for (const peer of this.node.onlineSessions())
          sendDeliver(peer, 'receipt', bytes, [origin], 0, this.own.deviceId);
      }
    }
  }

  /** Receipts for items this device made: stored per item; "delivered" ends the outbox row. */
  async store(rs: { r: ReceiptBatch; signer: DeviceRow }[]): Promise<void> {
    // Chunks far below the 65,535 parameters of one statement.
    let rows: ReceiptRow[] = [];
    let delivered = new Map<string, Uint8Array[]>();
    const flush = async () => {
      await this.repo.storeReceipts(rows, delivered);
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
}
