import { Type } from '@sinclair/typebox';
import { ARCHIVE_REPLICA_MAX_BYTES } from './archive-store.ts';
import { defineMessage } from './message.ts';

/**
 * Owner device → holder: keep this version of one of the owner's encrypted lists (docs/
 * PROTOCOL.md "Archive retrieval"). The holder keeps it only when `version` is higher than the
 * one it has (it replaces the older pointer) and answers like `archive-store`: `archive-receipt`
 * for the list's blob, or `archive-refused` (ARCHIVE_VERSION_CONFLICT when it has a newer one).
 */
export const ArchiveIndexPutMessage = defineMessage('archive-index-put', 1, 4 * 1024 * 1024 - 64, {
  owner: Type.String({ minLength: 1, maxLength: 128 }),
  name: Type.Union([Type.Literal('active'), Type.Literal('conversations')]),
  version: Type.Integer({ minimum: 1 }),
  ciphertext: Type.Uint8Array({ maxByteLength: ARCHIVE_REPLICA_MAX_BYTES }),
});
