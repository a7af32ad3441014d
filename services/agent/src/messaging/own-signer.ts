/**
 * The device's own Ed25519 signing key as a node:crypto KeyObject, built once (ARCHITECTURE
 * "Messaging performance"): the native backend imports a raw seed on every call, which costs
 * about as much as the signature itself. Core caches nothing secret, so the agent wraps the
 * backend: a signature with this device's seed (the same array, by identity) uses the prebuilt
 * key; anything else goes to the backend unchanged. Ed25519 is deterministic, so the bytes are
 * the same either way (tested).
 */
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import type { CryptoBackend } from '@kith/core/crypto/backend';
import { defaultBackend } from '@kith/core/crypto/index';

/** PKCS#8 prefix of an Ed25519 private key (RFC 8410): the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function ownSigningBackend(seed: Uint8Array, base: CryptoBackend = defaultBackend()): CryptoBackend {
  if (base.name !== 'native' || seed.length !== 32) return base;
  const key: KeyObject = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const wrapped: CryptoBackend = Object.create(base);
  return Object.assign(wrapped, {
    ed25519Sign(message: Uint8Array, s: Uint8Array): Uint8Array {
      if (s !== seed) return base.ed25519Sign(message, s);
      return new Uint8Array(sign(null, message, key));
    },
  });
}
