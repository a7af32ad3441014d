/** Backend selection and the integrity of the vector copies the crypto tests load. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.ts';
import { nativeBackend, nobleBackend, selectBackend } from '../../src/crypto/index.ts';
import { vectorFileBytes } from './load.ts';

describe('selectBackend', () => {
  it('picks node:crypto under Node', () => {
    expect(selectBackend()).toBe(nativeBackend);
  });

  it('picks the pure-JS backend where there is no Node', () => {
    const saved = globalThis.process.versions;
    Object.defineProperty(globalThis.process, 'versions', { value: {}, configurable: true });
    try {
      expect(selectBackend()).toBe(nobleBackend);
    } finally {
      Object.defineProperty(globalThis.process, 'versions', { value: saved, configurable: true });
    }
  });
});

describe('vector copies', () => {
  // The SHA-256 recorded for each file in test/vectors/README.md (from the shared collection).
  const readme = new TextDecoder().decode(vectorFileBytes('README.md'));
  const files = [
    'rfc8032-ed25519.json',
    'rfc7748-x25519.json',
    'hpke-rfc9180.json',
    'wycheproof/ed25519_test.json',
    'wycheproof/x25519_test.json',
    'wycheproof/xchacha20_poly1305_test.json',
    'wycheproof/chacha20_poly1305_test.json',
    'wycheproof/hkdf_sha256_test.json',
  ];

  it.each(files)('%s matches the SHA-256 its README line records', (file) => {
    const line = readme.split('\n').find((l) => l.startsWith(`- \`${file}\``));
    expect(line, 'README line').toBeDefined();
    const recorded = /SHA-256: `([0-9a-f]{64})`/.exec(line!)?.[1];
    expect(toHex(nativeBackend.sha256(vectorFileBytes(file)))).toBe(recorded);
  });
});
