import { Type } from '@sinclair/typebox';
import { defineMessage } from './message.ts';

/** Most relay lists in one message; a sender with more sends several (docs/PROTOCOL.md §8). */
export const MAX_RELAY_LISTS_PER_MESSAGE = 200;

/** Gossip of signed relay lists (relay-list.ts); each is verified on receipt. */
export const RelayListsMessage = defineMessage('relay-lists', 1, 1024 * 1024, {
  lists: Type.Array(Type.Uint8Array({ maxByteLength: 4200 }), { maxItems: MAX_RELAY_LISTS_PER_MESSAGE }),
});
