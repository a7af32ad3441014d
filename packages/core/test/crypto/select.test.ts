/** The default backend and the integrity of the vector copies the crypto tests load. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.ts';
import { defaultBackend, nobleBackend, setDefaultBackend } from '../../src/crypto/index.ts';
import { nativeBackend } from '../../src/crypto/native.ts';
import { vectorFileBytes } from './load.ts';

describe('default backend', () => {
  it('is noble until the program installs another (core never picks node:crypto itself)', () => {
    expect(defaultBackend()).toBe(nobleBackend);
    setDefaultBackend(nativeBackend);
    try {
      expect(defaultBackend()).toBe(nativeBackend);
    } finally {
      setDefaultBackend(nobleBackend);
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
