import { Type } from '@sinclair/typebox';
import { DEVICE_ID } from './reach.ts';
import { defineMessage } from './message.ts';

/**
 * From a coordinator to the target of a `punch-request` (docs/PROTOCOL.md "Hole punching"):
 * device `peer` would like a direct link. The target answers with its own `punch-request` (same
 * `id`, `target` = `peer`) only if `peer` is a device it links to and has no link with now;
 * otherwise it stays silent, and the coordinator forgets the request when it expires.
 */
export const PunchInviteMessage = defineMessage('punch-invite', 1, 128, {
  id: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
  peer: Type.String({ pattern: DEVICE_ID }),
});
