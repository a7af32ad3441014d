import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend } from '../crypto/index.ts';
import { HASH, frameWithLabel } from '../labels.ts';

/** Every delivered item (message, epoch key, receipt) is named by a hash of its bytes. */
export function itemId(bytes: Uint8Array, backend: CryptoBackend = defaultBackend()): Uint8Array {
  return backend.sha256(frameWithLabel(HASH.ITEM, bytes)).slice(0, 16);
}
