import { Address } from '../address-record.ts';
import { defineMessage } from './message.ts';

/**
 * From the side that accepted a link to the side that dialed it (docs/PROTOCOL.md "Link kinds"):
 * you came in through my home router's port mapping, at `external` (the address your `hello`
 * says you see me at). Sent once, after the hello, and only then. The dialer cannot tell a
 * mapped port from any other, so without it the dialer shows the link as `direct`; it believes
 * it only when `external` is the address it dialed. It changes what `kith peers` shows, nothing
 * else.
 */
export const MappedLinkMessage = defineMessage('mapped-link', 1, 128, {
  external: Address,
});
