import { Type } from '@sinclair/typebox';
import { defineMessage } from './message.ts';

/**
 * Carries one item (chat message, epoch-key envelope, receipt) towards the devices in `to`
 * (docs/PROTOCOL.md "Delivery"). `hops` counts forwards; an item is never forwarded past
 * MAX_HOPS, and a device that already has an item (by id) does not pass it on again.
 */
export const DeliverMessage = defineMessage('deliver', 1, 2 * 1024 * 1024, {
  kind: Type.Union([Type.Literal('message'), Type.Literal('epoch-key'), Type.Literal('receipt')]),
  item: Type.Uint8Array({ maxByteLength: 2 * 1024 * 1024 - 4096 }),
  to: Type.Array(Type.String({ maxLength: 40 }), { minItems: 1, maxItems: 256 }),
  /** The device that made the item, where receipts go. */
  origin: Type.String({ maxLength: 40 }),
  hops: Type.Integer({ minimum: 0, maximum: 8 }),
});

export const MAX_HOPS = 2;

/** A relay's refusal to hold an item (e.g. RELAY_QUOTA), so the sender tries elsewhere. */
export const DeliverRefusedMessage = defineMessage('deliver-refused', 1, 512, {
  item: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
  target: Type.String({ maxLength: 40 }),
  code: Type.String({ maxLength: 64 }),
});
