/**
 * Archive replication (docs/ARCHITECTURE.md "Replication"): status for `kith archive status`,
 * test blobs, and "check / repair now".
 */
import { KithError } from '@kith/core/errors';
import { MAX_BLOB_BASE64 } from '@kith/api/schemas/archive';
import { ROUTES } from '@kith/api/routes';
import type { ArchiveReplicator } from '../../archive/archive-replicator.ts';
import type { RewrapStatus } from '../../archive/archive-rewrap.ts';
import type { ApiPlugin } from '../context.ts';

/** `rewrap`: items still sealed to a revoked own device (the archivist's last count). */
export function archiveRoutes(replicator: ArchiveReplicator, rewrap: () => RewrapStatus): ApiPlugin {
  const status = async () => ({ ...(await replicator.status()), rewrap: rewrap() });
  return async (app) => {
    app.get(
      ROUTES.archiveStatus.path,
      {
        schema: {
          summary:
            'Items this device replicates, their bytes, copies per item, holders, under-replicated, repair progress.',
          tags: ['archive'],
          response: { 200: ROUTES.archiveStatus.response },
        },
      },
      status,
    );
    app.post(
      ROUTES.putBlob.path,
      {
        bodyLimit: MAX_BLOB_BASE64 + 1024,
        schema: {
          summary: 'Store a blob of ciphertext (base64) in the archive and replicate it to other devices.',
          tags: ['archive'],
          body: ROUTES.putBlob.body,
          response: { 200: ROUTES.putBlob.response },
        },
      },
      async (request) => {
        const body = request.body;
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body.ciphertext))
          throw new KithError('INVALID_INPUT', 'The ciphertext is base64.');
        const bytes = new Uint8Array(Buffer.from(body.ciphertext, 'base64'));
        return replicator.put(body.kind ?? 'history', bytes);
      },
    );
    app.post(
      ROUTES.checkArchive.path,
      {
        schema: {
          summary: 'Challenge every holder of a copy to prove possession now (answers arrive later).',
          tags: ['archive'],
          body: ROUTES.checkArchive.body,
          response: { 200: ROUTES.checkArchive.response },
        },
      },
      async () => ({ challenged: await replicator.checkAll() }),
    );
    app.post(
      ROUTES.repairArchive.path,
      {
        schema: {
          summary: 'Run one repair pass now; returns the status after it.',
          tags: ['archive'],
          body: ROUTES.repairArchive.body,
          response: { 200: ROUTES.repairArchive.response },
        },
      },
      async () => {
        await replicator.repair();
        return status();
      },
    );
  };
}
