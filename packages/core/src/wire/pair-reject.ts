import { Type } from '@sinclair/typebox';
import { defineMessage } from './message.ts';

/**
 * The person on the sending side said the six digits differ, or let the pairing run out
 * (docs/PROTOCOL.md §9 step 5): sent on the pairing's own IKpsk2 link while it is still up, so
 * the other side ends its pending pairing too and tells its person. Never sent on a regular link.
 */
export const PairRejectMessage = defineMessage('pair-reject', 1, 128, {
  reason: Type.Union([Type.Literal('rejected'), Type.Literal('expired')]),
});
