/**
 * GET /api/relay/status: this node as its friends' relay (docs/ARCHITECTURE.md "The appliance").
 * Which friends list this device in their signed relay list, the quotas from the settings, and
 * what it holds for each friend (counts and bytes, never contents).
 */
import { ROUTES } from '@kith/api/routes';
import { heldForFriends } from '../../archive/held-for-friends.ts';
import type { PeerNode } from '../../peer/peer-node.ts';
import type { ApiPlugin } from '../context.ts';

export function relayStatusRoutes(node: PeerNode): ApiPlugin {
  return async (app) => {
    app.get(
      ROUTES.relayStatus.path,
      {
        schema: {
          summary: 'Friends this device relays for, the relay quotas, and what it holds for each friend.',
          tags: ['archive'],
          response: { 200: ROUTES.relayStatus.response },
        },
      },
      async () => {
        const { config, db } = app.kith;
        const names = new Map<string, string | null>();
        for (const f of await node.friends.list()) {
          names.set(f.userId, (await node.identity.state(f.userId))?.name || f.name || null);
        }
        const relayFor = [];
        for (const list of await node.relayLists.repository.all()) {
          if (
            list.userId !== node.userId &&
            names.has(list.userId) &&
            list.relays.includes(node.deviceId as never)
          ) {
            relayFor.push({ userId: list.userId, name: names.get(list.userId) ?? null });
          }
        }
        const held = await heldForFriends(db.db, node.userId);
        return {
          enabled: config.relay.enabled,
          quota: {
            bytes: config.relay.quotaBytes,
            userBytes: config.relay.userQuotaBytes,
            userItems: config.relay.userQuotaItems,
          },
          relayFor,
          heldFor: held.map((h) => ({ ...h, name: names.get(h.userId) ?? null })),
        };
      },
    );
  };
}
