/**
 * Small secrets in the database, sealed under the device storage key (docs/DESIGN.md §1: every byte at
 * rest is ciphertext). Layout: nonce (24) || XChaCha20-Poly1305(key, nonce, plaintext, aad = purpose).
 */
import type { RandomSource } from '@kith/core/crypto/index';
import { concatBytes, defaultBackend, utf8 } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';

export function sealBox(
  key: Uint8Array,
  purpose: string,
  plaintext: Uint8Array,
  random: RandomSource,
): Uint8Array {
  const nonce = random(24);
  return concatBytes(
    nonce,
    defaultBackend().xchacha20poly1305Seal(key, nonce, plaintext, utf8.encode(purpose)),
  );
}

export function openBox(key: Uint8Array, purpose: string, sealed: Uint8Array): Uint8Array {
  if (sealed.length < 24 + 16) throw new KithError('KEYSTORE_CORRUPT', `A sealed ${purpose} is truncated.`);
  return defaultBackend().xchacha20poly1305Open(
    key,
    sealed.subarray(0, 24),
    sealed.subarray(24),
    utf8.encode(purpose),
  );
}
