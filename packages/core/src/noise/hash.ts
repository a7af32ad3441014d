import { blake2b } from '@noble/hashes/blake2.js';
import { hmac } from '@noble/hashes/hmac.js';
import type { CryptoBackend } from '../crypto/backend.ts';

/**
 * A Noise hash function (Noise spec rev 34, §4.3): HASH, HASHLEN, BLOCKLEN and the HMAC built
 * on it. HKDF (below) is defined by the spec in terms of this HMAC.
 */
export interface NoiseHash {
  readonly name: 'BLAKE2b' | 'SHA256';
  readonly hashLen: 32 | 64;
  readonly blockLen: 64 | 128;
  hash(data: Uint8Array): Uint8Array;
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
}

/** BLAKE2b with a 64-byte digest, straight from @noble/hashes (not part of CryptoBackend). */
export const blake2bNoiseHash: NoiseHash = {
  name: 'BLAKE2b',
  hashLen: 64,
  blockLen: 128,
  hash: (data) => blake2b(data),
  hmac: (key, data) => hmac(blake2b, key, data),
};

/** SHA-256 through the injected backend (native or noble). */
export function sha256NoiseHash(backend: CryptoBackend): NoiseHash {
  return {
    name: 'SHA256',
    hashLen: 32,
    blockLen: 64,
    hash: (data) => backend.sha256(data),
    hmac: (key, data) => backend.hmacSha256(key, data),
  };
}

/** Noise HKDF (§4.3): two or three outputs of HASHLEN bytes each. */
export function noiseHkdf(
  hash: NoiseHash,
  chainingKey: Uint8Array,
  inputKeyMaterial: Uint8Array,
  outputs: 2 | 3,
): Uint8Array[] {
  const tempKey = hash.hmac(chainingKey, inputKeyMaterial);
  const out1 = hash.hmac(tempKey, Uint8Array.of(0x01));
  const out2 = hash.hmac(tempKey, withByte(out1, 0x02));
  if (outputs === 2) return [out1, out2];
  return [out1, out2, hash.hmac(tempKey, withByte(out2, 0x03))];
}

function withByte(bytes: Uint8Array, last: number): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = last;
  return out;
}
