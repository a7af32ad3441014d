import { Type } from '@sinclair/typebox';
import { defineMessage } from './message.ts';

/**
 * Largest blob replicated over a link: the link carries at most 4 MiB per message
 * (LinkLimits.maxMessageBytes), less room for the message's own fields.
 */
export const ARCHIVE_REPLICA_MAX_BYTES = 4 * 1024 * 1024 - 4096;

/**
 * Owner device → holder: keep this blob for `owner` (docs/DESIGN.md §7 "Replication"). The holder
 * checks that the owner is the sender's user, stores it against that owner's quota and answers
 * with `archive-receipt` or `archive-refused`.
 */
export const ArchiveStoreMessage = defineMessage('archive-store', 1, 4 * 1024 * 1024 - 64, {
  blob: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
  owner: Type.String({ minLength: 1, maxLength: 128 }),
  kind: Type.Union([Type.Literal('current'), Type.Literal('history'), Type.Literal('index')]),
  ciphertext: Type.Uint8Array({ maxByteLength: ARCHIVE_REPLICA_MAX_BYTES }),
});

/** Holder → owner device: the signed storage receipt (core/archive/storage-receipt.ts). */
export const ArchiveReceiptMessage = defineMessage('archive-receipt', 1, 1024, {
  blob: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
  receipt: Type.Uint8Array({ maxByteLength: 512 }),
});

/** Holder → owner device: the blob was not stored, with the error code (e.g. ARCHIVE_QUOTA_EXCEEDED). */
export const ArchiveRefusedMessage = defineMessage('archive-refused', 1, 512, {
  blob: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
  code: Type.String({ maxLength: 64 }),
});
