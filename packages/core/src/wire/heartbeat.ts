import { Type } from '@sinclair/typebox';
import { defineMessage } from './message.ts';

/** Entries of a heartbeat's `versions` (feature marks included, wire/features.ts). */
export const HEARTBEAT_MAX_VERSIONS = 1024;

/**
 * Heartbeat (docs/DESIGN.md §6), sent at random intervals. Carries the sender's clock (`sentAt`, t1),
 * the echo of the last heartbeat received (t1 of it, and when it arrived, t2) for the NTP-style
 * offset, the address at which the receiver was seen, and the address-record versions the
 * sender knows (device id -> seq), led by the sender's feature marks (`+NAME`, wire/features.ts).
 */
export const HeartbeatMessage = defineMessage('heartbeat', 1, 64 * 1024, {
  sentAt: Type.Integer({ minimum: 0 }),
  echo: Type.Union([
    Type.Object(
      { sentAt: Type.Integer({ minimum: 0 }), receivedAt: Type.Integer({ minimum: 0 }) },
      { additionalProperties: false },
    ),
    Type.Null(),
  ]),
  seenAddress: Type.String({ maxLength: 80 }),
  versions: Type.Array(
    Type.Object(
      { device: Type.String({ maxLength: 40 }), seq: Type.Integer({ minimum: 0 }) },
      { additionalProperties: false },
    ),
    { maxItems: HEARTBEAT_MAX_VERSIONS },
  ),
});
