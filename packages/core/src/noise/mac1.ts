import { blake2b } from '@noble/hashes/blake2.js';
import { constantTimeEqual } from '../crypto/bytes.ts';
import { frameWithLabel, KDF } from '../labels.ts';

export const MAC1_LEN = 16;

/**
 * WireGuard-style mac1 key (docs/PROTOCOL.md "mac1"): BLAKE2b-256 of the labelled responder
 * static public key. Anyone who knows the responder's public key can compute it; scanners
 * that do not, cannot, and get silence.
 */
export function mac1Key(responderStaticPublicKey: Uint8Array): Uint8Array {
  return blake2b(frameWithLabel(KDF.MAC1, responderStaticPublicKey), { dkLen: 32 });
}

/** mac1 = keyed BLAKE2b (16 bytes) over every byte of the hello that precedes it. */
export function computeMac1(key: Uint8Array, message: Uint8Array): Uint8Array {
  return blake2b(message, { key, dkLen: MAC1_LEN });
}

export function verifyMac1(key: Uint8Array, message: Uint8Array, mac1: Uint8Array): boolean {
  return constantTimeEqual(computeMac1(key, message), mac1);
}
