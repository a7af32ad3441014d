/**
 * The holder side of archive replication (docs/ARCHITECTURE.md "Replication"): stores own
 * devices' and friends' blobs against the owner's quota, with a signed storage receipt, and
 * answers possession challenges (archive-replicator.ts dispatches to it).
 */
import { possessionProof } from '@kith/core/archive/possession';
import { signStorageReceipt } from '@kith/core/archive/storage-receipt';
import { isKithError } from '@kith/core/errors';
import type { BlobRepository } from '@kith/archive';
import type { PeerNode } from '../peer/peer-node.ts';
import type { ArchiveSessionMessage, PeerSession } from '../peer/peer-session.ts';
import { storeRefusal } from './archive-sender.ts';

export class ArchiveHolder {
  constructor(
    private readonly node: PeerNode,
    private readonly blobs: BlobRepository,
    private readonly options: { holdForFriends: boolean },
  ) {}

  private get clock() {
    return this.node.clock;
  }
  private get log() {
    return this.node.log;
  }

  async onStore(session: PeerSession, message: Extract<ArchiveSessionMessage, { t: 'archive-store' }>) {
    const refuse = (code: string) => session.send({ v: 1, t: 'archive-refused', blob: message.blob, code });
    const own = session.userId === this.node.userId;
    const denied =
      message.owner !== session.userId || (!own && !this.options.holdForFriends)
        ? 'ARCHIVE_NOT_HOLDING'
        : await storeRefusal(this.node.identity, message.ciphertext, message.owner);
    if (denied) {
      refuse(denied);
      return;
    }
    try {
      await this.blobs.put({
        id: message.blob,
        ownerId: message.owner,
        kind: message.kind,
        ciphertext: message.ciphertext,
      });
    } catch (err) {
      if (!isKithError(err)) throw err;
      this.log.info({ peer: session.deviceId, code: err.code }, 'archive: refused to hold a copy');
      refuse(err.code);
      return;
    }
    const receipt = signStorageReceipt(
      { blob: message.blob, owner: message.owner, size: message.ciphertext.length, at: this.clock() },
      this.node.receiptSigner,
    );
    session.send({ v: 1, t: 'archive-receipt', blob: message.blob, receipt });
  }

  async onChallenge(
    session: PeerSession,
    message: Extract<ArchiveSessionMessage, { t: 'archive-challenge' }>,
  ) {
    // Only the owner's devices learn whether this device holds one of the owner's blobs.
    const blob = await this.blobs.get(session.userId, message.blob);
    const mine = blob !== undefined;
    session.send({
      v: 1,
      t: 'archive-proof',
      blob: message.blob,
      nonce: message.nonce,
      ...(mine ? { proof: possessionProof(message.nonce, blob.ciphertext) } : {}),
    });
  }
}
