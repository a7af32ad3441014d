/**
 * Chat messages: `openVerifiedChatMessage` (for a caller that verified before storing) opens
 * exactly what `openChatMessage` opens, and the AEAD still refuses a changed header or body.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/crypto/index.ts';
import {
  openChatMessage,
  openVerifiedChatMessage,
  sealChatMessage,
  verifyChatMessage,
} from '../../src/messaging/chat-message.ts';
import { backends } from '../helpers/backends.ts';
import { codeOf } from '../helpers/code-of.ts';

const sender = {
  seed: fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
  publicKey: fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
};
const epoch = fromHex('aa'.repeat(16));
const epochKey = fromHex('bb'.repeat(32));
let counter = 0;
const random = (n: number) => {
  const out = new Uint8Array(n);
  out[0] = counter++ & 0xff;
  return out;
};

describe('chat messages', () => {
  for (const backend of backends()) {
    it(`openVerifiedChatMessage agrees with openChatMessage (property, ${backend.name})`, () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 200 }), fc.nat(), (text, sentAt) => {
          const item = sealChatMessage(
            { conv: 'conv-1', epoch, epochKey, sender, sentAt, body: { t: 'text', text } },
            random,
            backend,
          );
          const header = verifyChatMessage(item, backend);
          const fast = openVerifiedChatMessage(item, epochKey, backend);
          expect(fast).toEqual(openChatMessage(item, epochKey, backend));
          expect(fast.body).toEqual({ t: 'text', text });
          expect(fast.sentAt).toBe(header.sentAt);
        }),
        { numRuns: 40 },
      );
    });
  }

  it('openVerifiedChatMessage refuses a changed byte and a wrong key', () => {
    const item = sealChatMessage(
      { conv: 'conv-1', epoch, epochKey, sender, sentAt: 1, body: { t: 'text', text: 'hello' } },
      random,
    );
    expect(codeOf(() => openVerifiedChatMessage(item, fromHex('cc'.repeat(32))))).toBeDefined();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: item.length * 8 - 1 }), (bit) => {
        const tampered = item.slice();
        tampered[bit >> 3]! ^= 1 << (bit & 7);
        let opened: ReturnType<typeof openVerifiedChatMessage> | undefined;
        try {
          opened = openVerifiedChatMessage(tampered, epochKey);
        } catch {
          return true;
        }
        // Only the signature bytes are not covered by the AEAD: the content is unchanged.
        return opened.body.t === 'text' && opened.body.text === 'hello';
      }),
      { numRuns: 300 },
    );
  });
});
