import type { CryptoBackend } from './backend.ts';
import { nativeBackend } from './native.ts';
import { nobleBackend } from './noble.ts';

export type { CryptoBackend, RandomSource } from './backend.ts';
export * from './bytes.ts';
export { ed25519PublicKeyAcceptable } from './ed25519-strict.ts';
export { nativeBackend } from './native.ts';
export { nobleBackend } from './noble.ts';

let selected: CryptoBackend = nobleBackend;

/** The backend core functions use when none is passed: native under Node once installed. */
export function defaultBackend(): CryptoBackend {
  return selected;
}

/** Services call this at boot with the native backend (core itself does no environment probing). */
export function setDefaultBackend(backend: CryptoBackend): void {
  selected = backend;
}

/**
 * The fastest backend for this runtime: node:crypto under Node, pure JS elsewhere. Reads only
 * `process.versions` (no I/O). Services pass the result to `setDefaultBackend` at boot.
 */
export function selectBackend(): CryptoBackend {
  return globalThis.process?.versions?.node ? nativeBackend : nobleBackend;
}
