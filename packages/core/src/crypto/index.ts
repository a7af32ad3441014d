import type { CryptoBackend } from './backend.ts';
import { nobleBackend } from './noble.ts';

export type { CryptoBackend, RandomSource } from './backend.ts';
export { nobleBackend } from './noble.ts';
export * from './bytes.ts';

let selected: CryptoBackend = nobleBackend;

/** The backend core functions use when none is passed: native under Node once installed. */
export function defaultBackend(): CryptoBackend {
  return selected;
}

/** Services call this at boot with the native backend (core itself does no environment probing). */
export function setDefaultBackend(backend: CryptoBackend): void {
  selected = backend;
}
