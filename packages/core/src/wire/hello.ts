import { Type } from '@sinclair/typebox';
import { defineMessage } from './message.ts';

/**
 * First message on every link, both directions: who I am (my device certificate) and how far
 * my copy of my own identity log goes, so the other side can ask for what it lacks.
 */
export const HelloMessage = defineMessage('hello', 1, 4096, {
  cert: Type.Uint8Array({ maxByteLength: 1024 }),
  logSeq: Type.Integer({ minimum: 0 }),
  logHead: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
  /** The address at which I see you (host:port), so you learn your outside address. */
  seenAddress: Type.String({ maxLength: 80 }),
});
