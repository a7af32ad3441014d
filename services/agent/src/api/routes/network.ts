/**
 * Identity, friends, peers, invites and pairing (docs/API.md). Mounted by `kith up` and
 * `kith agent` once the node has its keys.
 */
import { ROUTES } from '@kith/api/routes';
import { verifyLog } from '@kith/core/identity/log';
import type { PairingService } from '../../peer/pairing-service.ts';
import type { PeerNode } from '../../peer/peer-node.ts';
import { setName } from '../../peer/set-name.ts';
import { unfriend } from '../../peer/unfriend.ts';
import type { ApiPlugin } from '../context.ts';

/**
 * `afterRevoke` runs, not awaited, once a revocation is in the log: the archive re-wrap with the
 * recovery key from the same phrase (archive-rewrap.ts).
 */
export function networkRoutes(
  node: PeerNode,
  pairing: PairingService,
  afterRevoke?: (phrase: string, bip39Passphrase?: string) => void,
): ApiPlugin {
  return async (app) => {
    app.get(
      ROUTES.identity.path,
      {
        schema: {
          summary: 'Who this node is: user, device, and the user’s devices.',
          tags: ['identity'],
          response: { 200: ROUTES.identity.response },
        },
      },
      async () => {
        const log = node.ownLog;
        return {
          userId: log.userId,
          name: log.name,
          deviceId: node.deviceId,
          logLength: log.entries.length,
          devices: [...log.devices.values()]
            .sort((a, b) => a.certificate.index - b.certificate.index)
            .map((d) => ({
              deviceId: d.certificate.deviceId,
              index: d.certificate.index,
              name: d.certificate.name,
              status: d.status,
              current: d.certificate.deviceId === node.deviceId,
              online: d.certificate.deviceId === node.deviceId || node.isOnline(d.certificate.deviceId),
            })),
        };
      },
    );

    app.get(
      ROUTES.status.path,
      {
        schema: {
          summary: 'Agent health and summary.',
          tags: ['identity'],
          response: { 200: ROUTES.status.response },
        },
      },
      async () => {
        const peers = await node.peers();
        return {
          userId: node.userId,
          deviceId: node.deviceId,
          peerPort: node.port,
          addresses: node.ownAddresses(),
          peers: peers.length,
          online: peers.filter((p) => p.online).length,
          friends: (await node.friends.list()).length,
          locked: node.locked,
          portWindows: node.options.windows?.status() ?? null,
          portMapping: node.options.portMapping?.status() ?? null,
        };
      },
    );

    app.post(
      ROUTES.setName.path,
      {
        schema: {
          summary:
            'Set or change my display name: a profile entry of the identity log, signed by this device and sent to my devices and friends.',
          tags: ['identity'],
          body: ROUTES.setName.body,
          response: { 200: ROUTES.setName.response },
        },
      },
      async (request) => setName(node, request.body.name),
    );

    app.post(
      ROUTES.unfriend.path,
      {
        schema: {
          summary:
            'Unfriend and block a user: links to their devices close, their handshakes are refused, what we held for them is dropped.',
          tags: ['friends'],
          params: ROUTES.unfriend.params,
          response: { 200: ROUTES.unfriend.response },
        },
      },
      async (request) => unfriend(node, (request.params as { userId: string }).userId),
    );

    app.get(
      ROUTES.friends.path,
      {
        schema: {
          summary: 'Friends and whether any of their devices is online.',
          tags: ['friends'],
          response: { 200: ROUTES.friends.response },
        },
      },
      async () => {
        const peers = await node.peers();
        const out = [];
        for (const f of await node.friends.list()) {
          const state = await node.identity.state(f.userId);
          const theirs = peers.filter((p) => p.userId === f.userId);
          out.push({
            userId: f.userId,
            name: state?.name || f.name || null,
            addedAt: f.addedAt.toISOString(),
            relay: f.relay,
            online: theirs.some((p) => p.online),
            address: theirs.find((p) => p.online)?.address ?? theirs[0]?.address ?? null,
            devices: theirs.map((p) => ({ deviceId: p.deviceId, online: p.online, status: p.status })),
          });
        }
        return out;
      },
    );

    app.get(
      ROUTES.peers.path,
      {
        schema: {
          summary: 'Peer devices (own and friends’) with link state, addresses and clock offset.',
          tags: ['peers'],
          response: { 200: ROUTES.peers.response },
        },
      },
      async () => node.peers(),
    );

    app.post(
      ROUTES.createInvite.path,
      {
        schema: {
          summary: 'Create a one-time in-person invite (friend, or one of my own devices).',
          tags: ['pairing'],
          body: ROUTES.createInvite.body,
          response: { 200: ROUTES.createInvite.response },
        },
      },
      async (request) => pairing.createInvite(request.body),
    );

    app.get(
      ROUTES.invites.path,
      {
        schema: {
          summary: 'Open invites (neither used, cancelled nor expired), oldest first.',
          tags: ['pairing'],
          response: { 200: ROUTES.invites.response },
        },
      },
      async () => pairing.list(),
    );

    app.post(
      ROUTES.cancelInvites.path,
      {
        schema: {
          summary: 'Cancel one open invite, or every open one when no id is given.',
          tags: ['pairing'],
          body: ROUTES.cancelInvites.body,
          response: { 200: ROUTES.cancelInvites.response },
        },
      },
      async (request) => ({ cancelled: await pairing.cancel(request.body.id) }),
    );

    app.get(
      ROUTES.invite.path,
      {
        schema: {
          summary: 'Whether an invite was used, and by whom (with the short authentication string).',
          tags: ['pairing'],
          params: ROUTES.invite.params,
          response: { 200: ROUTES.invite.response },
        },
      },
      async (request) => pairing.status(request.params.id),
    );

    app.post(
      ROUTES.acceptInvite.path,
      {
        schema: {
          summary: 'Accept a friend invite: link to the inviter, exchange identities, return the SAS.',
          tags: ['pairing'],
          body: ROUTES.acceptInvite.body,
          response: { 200: ROUTES.acceptInvite.response },
        },
      },
      async (request) => pairing.acceptFriend(request.body.code),
    );

    app.post(
      ROUTES.revokeDevice.path,
      {
        schema: {
          summary: 'Revoke one of my devices (needs the seed phrase: only the root key revokes).',
          tags: ['identity'],
          body: ROUTES.revokeDevice.body,
          response: { 200: ROUTES.revokeDevice.response },
        },
      },
      async (request) => {
        const b = request.body;
        const revoked = await node.revokeDevice(b.deviceId, b.phrase, b.bip39Passphrase);
        afterRevoke?.(b.phrase, b.bip39Passphrase);
        return revoked;
      },
    );

    // verifyLog is re-run so the route never serves a log the node would not accept.
    app.get(
      ROUTES.identityLog.path,
      {
        schema: {
          summary: 'My identity log entries (hex).',
          tags: ['identity'],
          response: { 200: ROUTES.identityLog.response },
        },
      },
      async () => {
        const log = verifyLog(node.ownLog.entries);
        return { userId: log.userId, entries: log.entries.map((e) => Buffer.from(e).toString('hex')) };
      },
    );
  };
}
