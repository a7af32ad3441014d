/** Sending and reading messages (docs/API.md "Messages"). */
import Type from 'typebox';
import type { Messenger } from '../../messaging/messenger.ts';
import type { ApiPlugin } from '../context.ts';

const MessageView = Type.Object({
  id: Type.String(),
  conversation: Type.String(),
  from: Type.String(),
  fromDevice: Type.String(),
  text: Type.String(),
  sentAt: Type.String(),
  receivedAt: Type.String(),
  delivered: Type.Array(Type.String()),
  relayed: Type.Array(Type.String()),
});

export function messageRoutes(messenger: Messenger): ApiPlugin {
  return async (app) => {
    app.post(
      '/messages',
      {
        schema: {
          summary: 'Send a message to a friend (direct conversation) or into a conversation.',
          tags: ['messages'],
          body: Type.Object(
            {
              to: Type.Optional(Type.String({ maxLength: 40 })),
              conversation: Type.Optional(Type.String({ maxLength: 80 })),
              text: Type.String({ minLength: 1, maxLength: 1024 * 1024 }),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const b = request.body as { to?: string; conversation?: string; text: string };
        return messenger.sendText({ to: b.to, conversation: b.conversation }, b.text);
      },
    );
    app.get(
      '/messages',
      {
        schema: {
          summary: 'Messages this device can read, oldest first, with delivery receipts for my own.',
          tags: ['messages'],
          querystring: Type.Object({ conversation: Type.Optional(Type.String({ maxLength: 80 })) }),
          response: { 200: Type.Array(MessageView) },
        },
      },
      async (request) => messenger.list((request.query as { conversation?: string }).conversation),
    );
    app.get(
      '/messages/pending',
      { schema: { summary: 'Items not yet delivered.', tags: ['messages'] } },
      async () => ({
        pending: await messenger.pending(),
      }),
    );
  };
}
