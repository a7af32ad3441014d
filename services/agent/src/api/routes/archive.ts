/**
 * Archive replication (docs/ARCHITECTURE.md "Replication"): status for `kith archive status`,
 * test blobs, and "check / repair now".
 */
import { KithError } from '@kith/core/errors';
import Type from 'typebox';
import type { ArchiveReplicator } from '../../archive/archive-replicator.ts';
import type { ApiPlugin } from '../context.ts';

const Holder = Type.Object({
  deviceId: Type.String(),
  userId: Type.Union([Type.String(), Type.Null()]),
  own: Type.Boolean(),
  self: Type.Boolean(),
  online: Type.Boolean(),
  held: Type.Integer(),
  failed: Type.Integer(),
  lost: Type.Integer(),
});

const Status = Type.Object({
  replicas: Type.Integer(),
  items: Type.Integer(),
  bytes: Type.Integer(),
  copies: Type.Record(Type.String(), Type.Integer()),
  holders: Type.Array(Holder),
  underReplicated: Type.Integer(),
  repair: Type.Object({
    running: Type.Boolean(),
    total: Type.Integer(),
    done: Type.Integer(),
    pendingStores: Type.Integer(),
    pendingChallenges: Type.Integer(),
    lastPassAt: Type.Union([Type.String(), Type.Null()]),
  }),
  heldForOthers: Type.Object({ items: Type.Integer(), bytes: Type.Integer() }),
});

/** base64 of at most ARCHIVE_REPLICA_MAX_BYTES (4 MiB less 4 KiB). */
const MAX_BASE64 = Math.ceil((4 * 1024 * 1024) / 3) * 4;

export function archiveRoutes(replicator: ArchiveReplicator): ApiPlugin {
  return async (app) => {
    app.get(
      '/archive/status',
      {
        schema: {
          summary:
            'Items this device replicates, their bytes, copies per item, holders, under-replicated, repair progress.',
          tags: ['archive'],
          response: { 200: Status },
        },
      },
      async () => replicator.status(),
    );
    app.post(
      '/archive/blobs',
      {
        bodyLimit: MAX_BASE64 + 1024,
        schema: {
          summary: 'Store a blob of ciphertext (base64) in the archive and replicate it to other devices.',
          tags: ['archive'],
          body: Type.Object(
            {
              kind: Type.Optional(
                Type.Union([Type.Literal('current'), Type.Literal('history'), Type.Literal('index')]),
              ),
              ciphertext: Type.String({ maxLength: MAX_BASE64 }),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const body = request.body as { kind?: 'current' | 'history' | 'index'; ciphertext: string };
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body.ciphertext))
          throw new KithError('INVALID_INPUT', 'The ciphertext is base64.');
        const bytes = new Uint8Array(Buffer.from(body.ciphertext, 'base64'));
        return replicator.put(body.kind ?? 'history', bytes);
      },
    );
    app.post(
      '/archive/check',
      {
        schema: {
          summary: 'Challenge every holder of a copy to prove possession now (answers arrive later).',
          tags: ['archive'],
          body: Type.Optional(Type.Object({}, { additionalProperties: false })),
        },
      },
      async () => ({ challenged: await replicator.checkAll() }),
    );
    app.post(
      '/archive/repair',
      {
        schema: {
          summary: 'Run one repair pass now; returns the status after it.',
          tags: ['archive'],
          body: Type.Optional(Type.Object({}, { additionalProperties: false })),
          response: { 200: Status },
        },
      },
      async () => {
        await replicator.repair();
        return replicator.status();
      },
    );
  };
}
