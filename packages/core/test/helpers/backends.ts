import type { CryptoBackend } from '../../src/crypto/backend.ts';
import { nobleBackend } from '../../src/crypto/index.ts';
import { nativeBackend } from '../../src/crypto/native.ts';

/** Both backends: tests run each vector on each (both paths must agree). */
export function backends(): CryptoBackend[] {
  return [nobleBackend, nativeBackend];
}
