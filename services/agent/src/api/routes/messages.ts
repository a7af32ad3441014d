/** Sending and reading messages (docs/API.md "Messages"). */
import { ROUTES } from '@kith/api/routes';
import { KithError, isKithError } from '@kith/core/errors';
import type { Messenger } from '../../messaging/messenger.ts';
import type { PendingFriends } from '../../peer/pending-friends.ts';
import type { ApiPlugin } from '../context.ts';

export function messageRoutes(messenger: Messenger, pending?: PendingFriends): ApiPlugin {
  return async (app) => {
    app.post(
      ROUTES.sendMessage.path,
      {
        schema: {
          summary: 'Send a message to a friend (direct conversation) or into a conversation.',
          tags: ['messages'],
          body: ROUTES.sendMessage.body,
          response: { 200: ROUTES.sendMessage.response },
        },
      },
      async (request) => {
        const b = request.body;
        try {
          return await messenger.sendText({ to: b.to, conversation: b.conversation }, b.text);
        } catch (err) {
          // A friend paired but not confirmed here: said so, rather than "not a friend".
          if (isKithError(err) && err.code === 'NOT_A_FRIEND' && b.to && (await pending?.get(b.to)))
            throw new KithError('FRIEND_PENDING');
          throw err;
        }
      },
    );
    app.get(
      ROUTES.messages.path,
      {
        schema: {
          summary: 'Messages this device can read, oldest first, with delivery receipts for my own.',
          tags: ['messages'],
          querystring: ROUTES.messages.query,
          response: { 200: ROUTES.messages.response },
        },
      },
      async (request) => messenger.list(request.query.conversation),
    );
    app.get(
      ROUTES.pendingMessages.path,
      {
        schema: {
          summary: 'Items not yet delivered.',
          tags: ['messages'],
          response: { 200: ROUTES.pendingMessages.response },
        },
      },
      async () => ({
        pending: await messenger.pending(),
      }),
    );
  };
}
