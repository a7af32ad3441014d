/**
 * The owner's index of conversations moved to history (archive index `conversations`; docs/
 * ARCHITECTURE.md "Archive encryption and retrieval"). Sealed t=1 to every active owner device
 * and the recovery key, so a device recovering from the phrase can list the history.
 */
import { Type } from '@sinclair/typebox';
import { defineFormat } from '../format.ts';

export const HISTORY_INDEX_MAX_ENTRIES = 20_000;

const Bytes32 = Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 });

export const HistoryIndexFormat = defineFormat(
  'archive-history-index',
  1,
  4 * 1024 * 1024,
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
            /** Device ids known to hold a copy (a hint for retrieval). */
            holders: Type.Optional(
              Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 16 }),
            ),
          },
          { additionalProperties: false },
        ),
        { maxItems: HISTORY_INDEX_MAX_ENTRIES },
      ),
    },
    { additionalProperties: false },
  ),
);

export type HistoryIndex = ReturnType<typeof HistoryIndexFormat.decode>;
export type HistoryIndexEntry = HistoryIndex['entries'][number];
