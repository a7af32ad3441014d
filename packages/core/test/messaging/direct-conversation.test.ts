import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEX_ID } from '../../src/conversation/ids.ts';
import { toHex } from '../../src/crypto/index.ts';
import { directConversationId, isDirectConversationId } from '../../src/messaging/direct-conversation.ts';

describe('direct conversation ids', () => {
  it('are the same from both sides and recognised as direct; a conversation id is not (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (a, b, digest) => {
          const id = directConversationId(a, b);
          expect(directConversationId(b, a)).toBe(id);
          expect(isDirectConversationId(id)).toBe(true);
          const conversationId = toHex(digest);
          expect(HEX_ID.test(conversationId)).toBe(true);
          expect(isDirectConversationId(conversationId)).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
    expect(isDirectConversationId('d-')).toBe(false);
    expect(isDirectConversationId(`d-${'a'.repeat(32)}x`)).toBe(false);
  });
});
