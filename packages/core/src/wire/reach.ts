import { Type } from '@sinclair/typebox';
import { MAX_HOPS } from './deliver.ts';
import { defineMessage } from './message.ts';

/**
 * Longest route kept, in links: the origin's hand-off plus at most MAX_HOPS forwards, so an
 * item sent along any route stays within the `deliver` hop bound (docs/DESIGN.md §7).
 */
export const REACH_MAX_DISTANCE = MAX_HOPS + 1;

/** Most devices in one reach message; a node that reaches more sends the nearest ones. */
export const REACH_MAX_ROUTES = 1024;

/** A device id as ids.ts writes it: five groups of five Crockford base32 characters. */
export const DEVICE_ID = '^[0-9a-hjkmnp-tv-z]{5}(-[0-9a-hjkmnp-tv-z]{5}){4}$';

/**
 * Reachability gossip (docs/PROTOCOL.md §11): every device the sender can reach now, with the
 * number of links to it (1 = the sender's own link), limited to what the receiver may know.
 * Each message is complete and replaces the sender's previous one on this link, so a device
 * left out is withdrawn. `seq` grows with every message a node sends; a message whose `seq` is
 * not above the last one seen on the link is ignored. A map, so no device appears twice (the
 * canonical decoder refuses duplicate keys). Distances stop at REACH_MAX_DISTANCE − 1: the
 * receiver adds its own link to the sender.
 */
export const ReachMessage = defineMessage('reach', 1, 64 * 1024, {
  seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  routes: Type.Record(
    Type.String({ pattern: DEVICE_ID }),
    Type.Integer({ minimum: 1, maximum: REACH_MAX_DISTANCE - 1 }),
    { maxProperties: REACH_MAX_ROUTES, additionalProperties: false },
  ),
});
