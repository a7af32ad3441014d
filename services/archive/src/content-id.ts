import { type CryptoBackend, defaultBackend } from '@kith/core/crypto/index';
import { frameWithLabel, HASH } from '@kith/core/labels';

/** Length of a content id: SHA-256. */
export const CONTENT_ID_BYTES = 32;

/**
 * The id of an archived blob: SHA-256 over its ciphertext under the content label (DESIGN §5:
 * ids are content hashes). The store recomputes it on every put, so nobody can park other
 * bytes under the id of a blob someone else is about to store.
 */
export function contentId(ciphertext: Uint8Array, backend: CryptoBackend = defaultBackend()): Uint8Array {
  return backend.sha256(frameWithLabel(HASH.CONTENT, ciphertext));
}
