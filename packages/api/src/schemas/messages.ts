/** Sending and reading messages (docs/API.md "Messages"). */
import Type from 'typebox';

export const SendMessageBody = Type.Object(
  {
    to: Type.Optional(Type.String({ maxLength: 40 })),
    conversation: Type.Optional(Type.String({ maxLength: 80 })),
    text: Type.String({ minLength: 1, maxLength: 1024 * 1024 }),
  },
  { additionalProperties: false },
);

export const MessagesQuery = Type.Object({ conversation: Type.Optional(Type.String({ maxLength: 80 })) });

export const MessageView = Type.Object({
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

export const PendingCount = Type.Object({ pending: Type.Integer() });
