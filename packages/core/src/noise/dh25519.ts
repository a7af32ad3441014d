import type { CryptoBackend, RandomSource } from '../crypto/backend.ts';

/** A static or ephemeral Curve25519 key pair. */
export interface NoiseKeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

/** DHLEN for 25519 (§12.1). */
export const DH_LEN = 32;

/** GENERATE_KEYPAIR (§4.1) from the injected randomness (fixed in tests for vectors). */
export function generateNoiseKeyPair(backend: CryptoBackend, random: RandomSource): NoiseKeyPair {
  return noiseKeyPairFromPrivate(backend, random(32));
}

export function noiseKeyPairFromPrivate(backend: CryptoBackend, privateKey: Uint8Array): NoiseKeyPair {
  return { privateKey: privateKey.slice(), publicKey: backend.x25519PublicKey(privateKey) };
}
