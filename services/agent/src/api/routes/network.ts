/**
 * Identity, friends, peers, invites and pairing (docs/API.md). Mounted by `kith up` and
 * `kith agent` once the node has its keys.
 */
import { verifyLog } from '@kith/core/identity/log';
import Type from 'typebox';
import type { PairingService } from '../../peer/pairing-service.ts';
import type { PeerNode } from '../../peer/peer-node.ts';
import { unfriend } from '../../peer/unfriend.ts';
import type { ApiPlugin } from '../context.ts';

const _Device = Type.Object({
  deviceId: Type.String(),
  index: Type.Integer(),
  name: Type.String(),
  status: Type.String(),
  current: Type.Boolean(),
  online: Type.Boolean(),
});

const Peer = Type.Object({
  deviceId: Type.String(),
  userId: Type.String(),
  own: Type.Boolean(),
  online: Type.Boolean(),
  address: Type.Union([Type.String(), Type.Null()]),
  addresses: Type.Array(Type.String()),
  lastSeenAt: Type.Union([Type.String(), Type.Null()]),
  clockOffsetMs: Type.Union([Type.Number(), Type.Null()]),
  roundTripMs: Type.Union([Type.Number(), Type.Null()]),
  status: Type.String(),
});

const PairingResult = Type.Object({
  role: Type.String(),
  userId: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  deviceId: Type.String(),
  sas: Type.String(),
});

export function networkRoutes(node: PeerNode, pairing: PairingService): ApiPlugin {
  return async (app) => {
    app.get(
      '/identity',
      { schema: { summary: 'Who this node is: user, device, and the user’s devices.', tags: ['identity'] } },
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

    app.get('/status', { schema: { summary: 'Agent health and summary.', tags: ['identity'] } }, async () => {
      const peers = await node.peers();
      return {
        userId: node.userId,
        deviceId: node.deviceId,
        peerPort: node.port,
        addresses: node.ownAddresses(),
        peers: peers.length,
        online: peers.filter((p) => p.online).length,
        friends: (await node.friends.list()).length,
      };
    });

    app.post(
      '/friends/:userId/unfriend',
      {
        schema: {
          summary:
            'Unfriend and block a user: links to their devices close, their handshakes are refused, what we held for them is dropped.',
          tags: ['friends'],
          params: Type.Object({ userId: Type.String({ minLength: 1, maxLength: 128 }) }),
          response: {
            200: Type.Object({
              userId: Type.String(),
              linksClosed: Type.Integer(),
              relayItemsDropped: Type.Integer(),
              archiveBlobsDropped: Type.Integer(),
            }),
          },
        },
      },
      async (request) => unfriend(node, (request.params as { userId: string }).userId),
    );

    app.get(
      '/friends',
      { schema: { summary: 'Friends and whether any of their devices is online.', tags: ['friends'] } },
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
      '/peers',
      {
        schema: {
          summary: 'Peer devices (own and friends’) with link state, addresses and clock offset.',
          tags: ['peers'],
          response: { 200: Type.Array(Peer) },
        },
      },
      async () => node.peers(),
    );

    app.post(
      '/invites',
      {
        schema: {
          summary: 'Create a one-time in-person invite (friend, or one of my own devices).',
          tags: ['pairing'],
          body: Type.Object(
            {
              role: Type.Enum(['friend', 'device']),
              ttlMs: Type.Optional(Type.Integer({ minimum: 10_000, maximum: 86_400_000 })),
              phrase: Type.Optional(Type.String({ maxLength: 1000 })),
              bip39Passphrase: Type.Optional(Type.String({ maxLength: 1000 })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const body = request.body as {
          role: 'friend' | 'device';
          ttlMs?: number;
          phrase?: string;
          bip39Passphrase?: string;
        };
        return pairing.createInvite(body);
      },
    );

    app.get(
      '/invites/:id',
      {
        schema: {
          summary: 'Whether an invite was used, and by whom (with the short authentication string).',
          tags: ['pairing'],
          params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$' }) }),
        },
      },
      async (request) => pairing.status((request.params as { id: string }).id),
    );

    app.post(
      '/pairing/accept',
      {
        schema: {
          summary: 'Accept a friend invite: link to the inviter, exchange identities, return the SAS.',
          tags: ['pairing'],
          body: Type.Object(
            { code: Type.String({ minLength: 5, maxLength: 2000 }) },
            { additionalProperties: false },
          ),
          response: { 200: PairingResult },
        },
      },
      async (request) => pairing.acceptFriend((request.body as { code: string }).code),
    );

    app.post(
      '/devices/revoke',
      {
        schema: {
          summary: 'Revoke one of my devices (needs the seed phrase: only the root key revokes).',
          tags: ['identity'],
          body: Type.Object(
            {
              deviceId: Type.String({ maxLength: 40 }),
              phrase: Type.String({ maxLength: 1000 }),
              bip39Passphrase: Type.Optional(Type.String({ maxLength: 1000 })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const b = request.body as { deviceId: string; phrase: string; bip39Passphrase?: string };
        return node.revokeDevice(b.deviceId, b.phrase, b.bip39Passphrase);
      },
    );

    // verifyLog is re-run so the route never serves a log the node would not accept.
    app.get(
      '/identity/log',
      { schema: { summary: 'My identity log entries (hex).', tags: ['identity'] } },
      async () => {
        const log = verifyLog(node.ownLog.entries);
        return { userId: log.userId, entries: log.entries.map((e) => Buffer.from(e).toString('hex')) };
      },
    );
  };
}
