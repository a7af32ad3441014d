import { Type } from '@sinclair/typebox';
import { PUNCH_MIN_PORT } from './punch-request.ts';
import { DEVICE_ID } from './reach.ts';
import { defineMessage } from './message.ts';

/** An IPv4 dotted quad or a bracketless IPv6 literal: never a name to resolve. */
const IP_LITERAL = '^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9a-fA-F:]{2,39})$';

/**
 * The coordinator's go (docs/PROTOCOL.md "Hole punching"), sent to both devices once each has
 * asked: dial `host`:`port` (where the coordinator sees `peer`, and the port `peer` said it
 * dials from) from the local port this device named, starting at `at` on the coordinator's
 * clock (ms since the epoch; the receiver converts it with its measured offset to the
 * coordinator). The side with `initiator` true opens the Noise link on the one TCP connection
 * the simultaneous open makes; the other answers it as its peer port would.
 */
export const PunchMessage = defineMessage('punch', 1, 256, {
  id: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
  peer: Type.String({ pattern: DEVICE_ID }),
  host: Type.String({ pattern: IP_LITERAL, maxLength: 39 }),
  port: Type.Integer({ minimum: PUNCH_MIN_PORT, maximum: 65535 }),
  at: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  initiator: Type.Boolean(),
});
