import { Type } from '@sinclair/typebox';
import { ARCHIVE_REPLICA_MAX_BYTES } from './archive-store.ts';
import { defineMessage } from './message.ts';

/**
 * Archive retrieval (docs/PROTOCOL.md "Archive retrieval"; docs/DESIGN.md §5 active retrieval). A device
 * asks a holder (a friend's device or its own) for one blob or one of its user's two encrypted
 * lists. Answered only when the sender is an active device of `owner`; otherwise
 * `archive-fetch-refused`. With `rewrap`, a holder that is a recipient of the envelope also
 * returns its key share re-sealed to the asking device (core/archive/archive-seal.ts).
 */
export const ArchiveFetchMessage = defineMessage('archive-fetch', 1, 512, {
  requestId: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
  owner: Type.String({ minLength: 1, maxLength: 128 }),
  /** Exactly one of `blob` and `index`. */
  blob: Type.Optional(Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 })),
  index: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('conversations')])),
  rewrap: Type.Boolean(),
});

/** Holder → asking device: the ciphertext, and the re-wrapped share when asked and held. */
export const ArchiveFetchedMessage = defineMessage('archive-fetched', 1, 4 * 1024 * 1024 - 64, {
  requestId: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
  blob: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
  kind: Type.Union([Type.Literal('current'), Type.Literal('history'), Type.Literal('index')]),
  ciphertext: Type.Uint8Array({ maxByteLength: ARCHIVE_REPLICA_MAX_BYTES }),
  /** The list's version (index fetches only). */
  version: Type.Optional(Type.Integer({ minimum: 1 })),
  share: Type.Optional(Type.Uint8Array({ maxByteLength: 256 })),
});

/** Holder → asking device: no answer, with the error code (e.g. ARCHIVE_NOT_OWNER, ARCHIVE_NOT_FOUND). */
export const ArchiveFetchRefusedMessage = defineMessage('archive-fetch-refused', 1, 256, {
  requestId: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
  code: Type.String({ maxLength: 64 }),
});
