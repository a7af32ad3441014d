import { Type } from '@sinclair/typebox';
import { defineMessage } from './message.ts';

/** At most this many blobs named in one `archive-drop` or `archive-dropped`. */
export const ARCHIVE_DROP_MAX_BLOBS = 64;

const BlobIds = Type.Array(Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }), {
  minItems: 1,
  maxItems: ARCHIVE_DROP_MAX_BLOBS,
});

/**
 * Owner device → holder (docs/PROTOCOL.md §12 "Superseded items"): these blobs of `owner` were
 * sealed anew after a revocation (the re-wrap); delete your copies. The holder deletes only
 * blobs it holds for `owner`, and only when `owner` is the sender's user. Sent only to a peer
 * whose heartbeat announced the feature `archive-drop` (§7 "Features"): a node of an older
 * version closes the link on an unknown message type.
 */
export const ArchiveDropMessage = defineMessage('archive-drop', 1, 4096, {
  owner: Type.String({ minLength: 1, maxLength: 128 }),
  blobs: BlobIds,
});

/** Holder → owner device: none of these blobs is held here any more (deleted, or never held). */
export const ArchiveDroppedMessage = defineMessage('archive-dropped', 1, 4096, {
  blobs: BlobIds,
});
