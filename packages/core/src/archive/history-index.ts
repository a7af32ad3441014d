/**
 * The owner's index of conversations moved to history (archive index `conversations`; docs/
 * ARCHITECTURE.md "Archive encryption and retrieval"). Sealed t=1 to every active owner device
 * and the recovery key, so a device recovering from the phrase can list the history.
 *
 * v2: an entry is a *segment* of a conversation — it gains `from`, the sentAt of its first
 * message — so a topic may be listed several times (a recovered device's new messages do not
 * unlist the old ones: "Archiving conversations", "Lists a device cannot open"). v1 stays
 * decodable; `decodeHistoryIndex` reads either.
 */
import { Type } from '@sinclair/typebox';
import { decodeCanonical } from '../codec.ts';
import { defineFormat } from '../format.ts';

export const HISTORY_INDEX_MAX_ENTRIES = 20_000;
const HISTORY_INDEX_MAX_BYTES = 4 * 1024 * 1024;

const Bytes32 = Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 });
/** Device ids known to hold a copy (a hint for retrieval). */
const Holders = Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 16 }));

export const HistoryIndexFormat = defineFormat(
  'archive-history-index',
  1,
  HISTORY_INDEX_MAX_BYTES,
  Type.Object(
    {
      v: Type.Literal(1),
      entries: Type.Array(
        Type.Object(
          {
            /** topicHash(conversation id). */
            topic: Bytes32,
            /** Content id of the history blob. */
            blob: Bytes32,
            closedAt: Type.Integer({ minimum: 0 }),
            /** Number of messages in the transcript. */
            messages: Type.Integer({ minimum: 0 }),
            holders: Holders,
          },
          { additionalProperties: false },
        ),
        { maxItems: HISTORY_INDEX_MAX_ENTRIES },
      ),
    },
    { additionalProperties: false },
  ),
);

export const HistoryIndexFormatV2 = defineFormat(
  'archive-history-index',
  2,
  HISTORY_INDEX_MAX_BYTES,
  Type.Object(
    {
      v: Type.Literal(2),
      entries: Type.Array(
        Type.Object(
          {
            /** topicHash(conversation id); several entries (segments) may share one. */
            topic: Bytes32,
            /** Content id of the history blob. */
            blob: Bytes32,
            /**
             * sentAt (ms) of the segment's first message; null for an entry carried over from a
             * v1 index, whose start is unknown.
             */
            from: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
            closedAt: Type.Integer({ minimum: 0 }),
            /** Number of messages in the transcript. */
            messages: Type.Integer({ minimum: 0 }),
            holders: Holders,
          },
          { additionalProperties: false },
        ),
        { maxItems: HISTORY_INDEX_MAX_ENTRIES },
      ),
    },
    { additionalProperties: false },
  ),
);

export type HistoryIndexV1 = ReturnType<typeof HistoryIndexFormat.decode>;
export type HistoryIndexV2 = ReturnType<typeof HistoryIndexFormatV2.decode>;
export type HistoryIndex = HistoryIndexV1 | HistoryIndexV2;
export type HistoryIndexEntry = HistoryIndexV2['entries'][number];

/** Either version; the version field picks the schema (an unknown one: CODEC_UNKNOWN_VERSION). */
export function decodeHistoryIndex(bytes: Uint8Array): HistoryIndex {
  const value = decodeCanonical(bytes, HISTORY_INDEX_MAX_BYTES) as { v?: unknown } | null;
  const v = typeof value === 'object' && value !== null ? value.v : undefined;
  return v === 1 ? HistoryIndexFormat.check(value) : HistoryIndexFormatV2.check(value);
}

export function encodeHistoryIndex(index: HistoryIndex): Uint8Array {
  return index.v === 1 ? HistoryIndexFormat.encode(index) : HistoryIndexFormatV2.encode(index);
}

/** The entries as v2 segments: a v1 entry's start is unknown (`from: null`). */
export function historySegments(index: HistoryIndex): HistoryIndexEntry[] {
  return index.v === 2 ? index.entries : index.entries.map((e) => ({ ...e, from: null }));
}
