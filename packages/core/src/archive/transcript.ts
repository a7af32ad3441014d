/**
 * What the archive keeps of one conversation (docs/ARCHITECTURE.md "Archive encryption and
 * retrieval"): the readable messages plus, for group conversations, the raw signed events so a
 * reader can re-verify them. Sealed by archive-seal.ts; never stored or sent in the clear.
 */
import { type Static, Type } from '@sinclair/typebox';
import { ENVELOPE_MAX_PLAINTEXT } from '../envelope.ts';
import { defineFormat } from '../format.ts';

/** A transcript fills at most one envelope body. */
export const TRANSCRIPT_MAX_BYTES = ENVELOPE_MAX_PLAINTEXT;
export const TRANSCRIPT_MAX_MESSAGES = 100_000;
export const TRANSCRIPT_MAX_MEMBERS = 1_000;

const Id = Type.String({ minLength: 1, maxLength: 128 });

export const TranscriptMessage = Type.Object(
  {
    /** The message id, lower-case hex. */
    id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[0-9a-f]+$' }),
    /** Author user id and the device that sent it. */
    from: Id,
    device: Id,
    sentAt: Type.Integer({ minimum: 0 }),
    text: Type.String({ maxLength: 1024 * 1024 }),
  },
  { additionalProperties: false },
);

export const TranscriptFormat = defineFormat(
  'archive-transcript',
  1,
  TRANSCRIPT_MAX_BYTES,
  Type.Object(
    {
      v: Type.Literal(1),
      conversation: Id,
      topic: Type.String({ maxLength: 4096 }),
      kind: Type.Union([Type.Literal('direct'), Type.Literal('group')]),
      members: Type.Array(Id, { maxItems: TRANSCRIPT_MAX_MEMBERS }),
      /** When the conversation ended (ms), or null while it is open. */
      closedAt: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
      messages: Type.Array(TranscriptMessage, { maxItems: TRANSCRIPT_MAX_MESSAGES }),
      /** Raw signed conversation events (group conversations), in causal order. */
      events: Type.Optional(Type.Array(Type.Uint8Array({ maxByteLength: 1024 * 1024 }))),
    },
    { additionalProperties: false },
  ),
);

export type Transcript = ReturnType<typeof TranscriptFormat.decode>;
export type TranscriptEntry = Static<typeof TranscriptMessage>;
