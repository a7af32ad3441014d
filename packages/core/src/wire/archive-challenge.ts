import { Type } from '@sinclair/typebox';
import { defineMessage } from './message.ts';

/** Owner device → holder: prove you still hold `blob` (core/archive/possession.ts). */
export const ArchiveChallengeMessage = defineMessage('archive-challenge', 1, 256, {
  blob: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
  nonce: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
});

/**
 * Holder → owner device: SHA-256(nonce || ciphertext), or no `proof` when the holder has no
 * such blob of the sender's user (an honest "lost it", which fails the check at once).
 */
export const ArchiveProofMessage = defineMessage('archive-proof', 1, 256, {
  blob: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
  nonce: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
  proof: Type.Optional(Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 })),
});
