/**
 * Domain-separated Ed25519 (docs/DESIGN.md §4): every signature covers frameWithLabel(label, bytes),
 * with the label taken from labels.ts, so a signature made for one purpose never verifies as
 * another.
 */
import type { CryptoBackend } from './crypto/backend.ts';
import { defaultBackend } from './crypto/index.ts';
import type { SignatureLabel } from './labels.ts';
import { frameWithLabel } from './labels.ts';

export function signWithLabel(
  label: SignatureLabel,
  message: Uint8Array,
  seed: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): Uint8Array {
  return backend.ed25519Sign(frameWithLabel(label, message), seed);
}

export function verifyWithLabel(
  label: SignatureLabel,
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): boolean {
  return backend.ed25519Verify(signature, frameWithLabel(label, message), publicKey);
}
