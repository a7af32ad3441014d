/**
 * The archivist's view of replication and retrieval (ArchiveAccess), over the replicator and
 * this device's own stores. Remote fetches, index pushes and share requests come from the
 * archive fetcher (docs/ARCHITECTURE.md "Archive encryption and retrieval") when it is given;
 * without one only what this device holds is reachable.
 */
import { toHex } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { IndexRepository } from '@kith/archive';
import type { PeerNode } from '../peer/peer-node.ts';
import type { ArchiveReplicator } from './archive-replicator.ts';
import type { ArchiveAccess } from './archivist.ts';

export function localArchiveAccess(node: PeerNode, replicator: ArchiveReplicator): ArchiveAccess {
  const { db, clock } = node.options.components;
  const indexes = new IndexRepository(db.db, clock, { blobs: replicator.blobs });
  return {
    async put({ kind, ciphertext }) {
      return replicator.put(kind, ciphertext);
    },
    async fetchBlob(blobId) {
      const blob = await replicator.blobs.get(blobId);
      if (!blob || blob.ownerId !== node.userId) throw new KithError('ARCHIVE_NOT_FOUND');
      return { ciphertext: blob.ciphertext, kind: blob.kind, from: node.deviceId };
    },
    async fetchIndex(name) {
      const got = await indexes.get(node.userId, name);
      return got ? { ciphertext: got.ciphertext, version: got.version } : undefined;
    },
    async putIndex(name, ciphertext) {
      const current = await indexes.get(node.userId, name);
      return indexes.store({
        ownerId: node.userId,
        name,
        ciphertext,
        expectedVersion: current?.version ?? 0,
      });
    },
    async requestShare(deviceId, blobId) {
      throw new KithError('ARCHIVE_NO_SHARE', `No share request path to ${deviceId} for ${toHex(blobId)}.`);
    },
  };
}
