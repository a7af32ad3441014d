/**
 * The seam between conversations and messaging (docs/DESIGN.md §7, §8). The conversation service hands
 * every signed item it makes (genesis, event, outcome) to a ConversationSync, which ships the
 * bytes to every device of the members; the messaging layer hands every conversation item that
 * arrives to `ConversationService.receive(kind, bytes, fromUserId)`, in any order, duplicates
 * included.
 */
import type { Logger } from '../logger.ts';

export type ConversationItemKind = 'genesis' | 'event' | 'outcome';

export const CONVERSATION_ITEM_KINDS: readonly ConversationItemKind[] = ['genesis', 'event', 'outcome'];

export interface ConversationSync {
  /** Ship bytes to every device of these users (members), except this device. */
  publish(
    conversationId: string,
    memberUserIds: string[],
    kind: ConversationItemKind,
    bytes: Uint8Array,
  ): Promise<void>;
}

/** Until messaging delivers between nodes: items are only logged (ids and sizes, never content). */
export function noopSync(logger: Logger): ConversationSync {
  const log = logger.child({ part: 'conversations' });
  return {
    async publish(conversationId, memberUserIds, kind, bytes) {
      log.debug(
        { conversation: conversationId, kind, members: memberUserIds.length, bytes: bytes.length },
        'conversation item not shipped: no messaging layer',
      );
    },
  };
}
