/**
 * The owner's list of conversations archived as current (archive index `active`; docs/
 * ARCHITECTURE.md "Archive encryption and retrieval"). Sealed 2-of-2 like a current transcript.
 * Conversations are named by topicHash, so even a reader of the list learns no conversation id.
 */
import { Type } from '@sinclair/typebox';
import { defineFormat } from '../format.ts';

export const ACTIVE_LIST_MAX_ENTRIES = 20_000;

const Bytes32 = Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 });

export const ActiveListFormat = defineFormat(
  'archive-active-list',
  1,
  2 * 1024 * 1024,
  Type.Object(
    {
      v: Type.Literal(1),
      entries: Type.Array(
        Type.Object(
          {
            /** topicHash(conversation id). */
            topic: Bytes32,
            /** Content id of the current blob. */
            blob: Bytes32,
            updatedAt: Type.Integer({ minimum: 0 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: ACTIVE_LIST_MAX_ENTRIES },
      ),
    },
    { additionalProperties: false },
  ),
);

export type ActiveList = ReturnType<typeof ActiveListFormat.decode>;
export type ActiveListEntry = ActiveList['entries'][number];
