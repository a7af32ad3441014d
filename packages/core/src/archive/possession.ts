/**
 * Possession checks (docs/DESIGN.md §7): the owner sends a fresh nonce; the holder answers
 * SHA-256(nonce || ciphertext), which it can only compute with the whole blob at hand. The
 * owner, which keeps its own copy, computes the same and compares.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { concatBytes, constantTimeEqual, defaultBackend } from '../crypto/index.ts';
import { KithError } from '../errors.ts';

/** Nonce length: 32 random bytes, so answers cannot be precomputed. */
export const POSSESSION_NONCE_BYTES = 32;

/** The holder's answer to a challenge. */
export function possessionProof(
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): Uint8Array {
  if (nonce.length !== POSSESSION_NONCE_BYTES)
    throw new KithError('INVALID_INPUT', `A possession nonce has ${POSSESSION_NONCE_BYTES} bytes.`);
  return backend.sha256(concatBytes(nonce, ciphertext));
}

/** Whether `proof` answers `nonce` for these bytes. */
export function checkPossessionProof(
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  proof: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): boolean {
  const expected = possessionProof(nonce, ciphertext, backend);
  return proof.length === expected.length && constantTimeEqual(proof, expected);
}
