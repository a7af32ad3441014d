import { Type } from '@sinclair/typebox';
import { defineMessage } from './message.ts';

/** Asks for the identity log of `user` from entry `fromSeq` on. */
export const LogRequestMessage = defineMessage('log-request', 1, 256, {
  user: Type.String({ maxLength: 40 }),
  fromSeq: Type.Integer({ minimum: 0 }),
});

/** A whole identity log (or a suffix from `fromSeq`); the receiver verifies and merges it. */
export const LogEntriesMessage = defineMessage('log-entries', 1, 4 * 1024 * 1024, {
  user: Type.String({ maxLength: 40 }),
  fromSeq: Type.Integer({ minimum: 0 }),
  entries: Type.Array(Type.Uint8Array({ maxByteLength: 2200 }), { maxItems: 10_000 }),
});
