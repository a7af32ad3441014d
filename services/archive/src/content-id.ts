import { createHash } from 'node:crypto';
import { frameWithLabel, HASH } from '@kith/core/labels';

/** Length of a content id: SHA-256. */
export const CONTENT_ID_BYTES = 32;

/** The label frame that precedes the ciphertext, as `frameWithLabel` builds it. */
const PREFIX = frameWithLabel(HASH.CONTENT, new Uint8Array(0));

/**
 * The id of an archived blob: SHA-256 of `frameWithLabel(HASH.CONTENT, ciphertext)` (docs/DESIGN.md §5:
 * ids are content hashes). The store recomputes it on every put, so nobody can park other
 * bytes under the id of a blob someone else is about to store. Hashed in two updates rather
 * than through `CryptoBackend.sha256`, so a blob of up to 5 MiB is not copied to be framed.
 */
export function contentId(ciphertext: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(PREFIX).update(ciphertext).digest());
}
