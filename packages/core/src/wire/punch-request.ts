import { Type } from '@sinclair/typebox';
import { DEVICE_ID } from './reach.ts';
import { defineMessage } from './message.ts';

/** Lowest local port a punch may use: the well-known range is never asked for. */
export const PUNCH_MIN_PORT = 1024;

/**
 * Asks a linked friend (the coordinator) to time a simultaneous dial between the sender and
 * `target`, a device the coordinator is linked to (docs/PROTOCOL.md "Hole punching"). `port` is
 * the local TCP port the sender will dial from; the coordinator pairs it with the host it sees
 * the sender at. `id` names the attempt: a device answering a `punch-invite` repeats its id.
 * Not signed: it rides inside the sender's Noise link, which already says who sent it.
 */
export const PunchRequestMessage = defineMessage('punch-request', 1, 256, {
  id: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
  target: Type.String({ pattern: DEVICE_ID }),
  port: Type.Integer({ minimum: PUNCH_MIN_PORT, maximum: 65535 }),
});
