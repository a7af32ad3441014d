/**
 * Core's crypto entry: pure JS only, so it loads in a browser. The native backend (node:crypto)
 * lives in `@kith/core/crypto/native`; a Node program imports it and installs it with
 * `setDefaultBackend(nativeBackend)` at boot (docs/ARCHITECTURE.md, "Packages and arrows").
 */
import type { CryptoBackend } from './backend.ts';
import { nobleBackend } from './noble.ts';

export type { CryptoBackend, RandomSource } from './backend.ts';
export * from './bytes.ts';
export { ed25519PublicKeyAcceptable } from './ed25519-strict.ts';
export { nobleBackend } from './noble.ts';

let selected: CryptoBackend = nobleBackend;

/** The backend core functions use when none is passed: noble until a program installs another. */
export function defaultBackend(): CryptoBackend {
  return selected;
}

/** Node programs call this at boot with the native backend (core itself does no environment probing). */
export function setDefaultBackend(backend: CryptoBackend): void {
  selected = backend;
}
