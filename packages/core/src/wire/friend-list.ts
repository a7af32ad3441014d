import { Type } from '@sinclair/typebox';
import { defineMessage } from './message.ts';

/**
 * The sender's friend list (friend-list.ts, docs/PROTOCOL.md "Friend list"): sent only between
 * devices of one user, when their link comes up and whenever the list changes. The receiver
 * checks the signature against an active device of its own user and merges entry by entry.
 */
export const FriendListMessage = defineMessage('friend-list', 1, 72 * 1024, {
  list: Type.Uint8Array({ maxByteLength: 66 * 1024 }),
});
