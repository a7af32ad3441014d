/**
 * Friends waiting for the six digits (docs/API.md "Friends"): the list, and the person's answer.
 * Confirm makes the friendship active on this side; reject ends the pairing and forgets the user.
 */
import { ROUTES } from '@kith/api/routes';
import type { PendingFriends } from '../../peer/pending-friends.ts';
import type { ApiPlugin } from '../context.ts';

export function pendingFriendRoutes(pending: PendingFriends): ApiPlugin {
  return async (app) => {
    app.get(
      ROUTES.pendingFriends.path,
      {
        schema: {
          summary:
            'Friends paired here whose six digits this side has not confirmed yet (nothing is shared with them).',
          tags: ['friends'],
          response: { 200: ROUTES.pendingFriends.response },
        },
      },
      async () =>
        (await pending.list()).map((p) => ({
          userId: p.userId,
          name: p.name,
          deviceId: p.deviceId,
          sas: p.sas,
          side: p.side,
          since: p.since,
          expiresAt: p.expiresAt,
        })),
    );

    app.get(
      ROUTES.endedPairings.path,
      {
        schema: {
          summary:
            'Pairings that ended in the last hour without a friendship: rejected or run out, on this side or the other.',
          tags: ['friends'],
          response: { 200: ROUTES.endedPairings.response },
        },
      },
      async () => pending.ended(),
    );

    app.post(
      ROUTES.confirmFriend.path,
      {
        schema: {
          summary: 'The six digits match on both screens: the friendship becomes active on this side.',
          tags: ['friends'],
          params: ROUTES.confirmFriend.params,
          response: { 200: ROUTES.confirmFriend.response },
        },
      },
      async (request) => pending.confirm(request.params.userId),
    );

    app.post(
      ROUTES.rejectFriend.path,
      {
        schema: {
          summary: 'The six digits differ: the pairing ends and the user is forgotten.',
          tags: ['friends'],
          params: ROUTES.rejectFriend.params,
          response: { 200: ROUTES.rejectFriend.response },
        },
      },
      async (request) => pending.reject(request.params.userId),
    );
  };
}
