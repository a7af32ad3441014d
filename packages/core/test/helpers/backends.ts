import type { CryptoBackend } from '../../src/crypto/backend.ts';
import * as crypto from '../../src/crypto/index.ts';

/** Every backend available here: tests run each vector on each (both paths must agree). */
export function backends(): CryptoBackend[] {
  const all: CryptoBackend[] = [crypto.nobleBackend];
  const native = (crypto as { nativeBackend?: CryptoBackend }).nativeBackend;
  if (native) all.push(native);
  return all;
}
