/** ChaCha20-Poly1305 and XChaCha20-Poly1305 on both backends: every Wycheproof case, properties. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CryptoBackend } from '../../src/crypto/backend.ts';
import { concatBytes, toHex } from '../../src/crypto/bytes.ts';
import { nativeBackend } from '../../src/crypto/native.ts';
import { nobleBackend } from '../../src/crypto/noble.ts';
import {
  BACKENDS,
  flipBit,
  hex,
  loadVectors,
  type WycheproofCase,
  type WycheproofFile,
  wycheproofCases,
} from './load.ts';

interface AeadGroup {
  ivSize: number;
  tests: (WycheproofCase & { key: string; iv: string; aad: string; msg: string; ct: string; tag: string })[];
}

type Seal = (b: CryptoBackend, k: Uint8Array, n: Uint8Array, p: Uint8Array, a?: Uint8Array) => Uint8Array;
const AEADS: { name: string; file: string; nonce: number; seal: Seal; open: Seal }[] = [
  {
    name: 'ChaCha20-Poly1305',
    file: 'wycheproof/chacha20_poly1305_test.json',
    nonce: 12,
    seal: (b, k, n, p, a) => b.chacha20poly1305Seal(k, n, p, a),
    open: (b, k, n, c, a) => b.chacha20poly1305Open(k, n, c, a),
  },
  {
    name: 'XChaCha20-Poly1305',
    file: 'wycheproof/xchacha20_poly1305_test.json',
    nonce: 24,
    seal: (b, k, n, p, a) => b.xchacha20poly1305Seal(k, n, p, a),
    open: (b, k, n, c, a) => b.xchacha20poly1305Open(k, n, c, a),
  },
];

/** Wycheproof AEAD files here have no "acceptable" cases; a copy that brings some fails below. */
function codeOf(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? `untyped: ${String(e)}`;
  }
}

describe.each(AEADS)('$name', (aead) => {
  const cases = wycheproofCases(loadVectors<WycheproofFile<AeadGroup>>(aead.file));

  describe.each(BACKENDS)('on $name', (backend) => {
    it(`Wycheproof: all ${cases.length} cases`, () => {
      for (const { group, test } of cases) {
        const label = `tcId ${test.tcId} (${test.comment}, ${test.flags.join(',')})`;
        expect(test.result, label).not.toBe('acceptable');
        const key = hex(test.key);
        const nonce = hex(test.iv);
        const aad = hex(test.aad);
        const msg = hex(test.msg);
        const sealed = concatBytes(hex(test.ct), hex(test.tag));
        if (group.ivSize !== aead.nonce * 8) {
          // InvalidNonceSize: refused before any cryptography, the same way on both paths.
          expect(
            codeOf(() => aead.seal(backend, key, nonce, msg, aad)),
            label,
          ).toBe('CRYPTO_BAD_KEY');
          expect(
            codeOf(() => aead.open(backend, key, nonce, sealed, aad)),
            label,
          ).toBe('CRYPTO_BAD_KEY');
        } else if (test.result === 'valid') {
          expect(toHex(aead.seal(backend, key, nonce, msg, aad)), label).toBe(toHex(sealed));
          expect(toHex(aead.open(backend, key, nonce, sealed, aad)), label).toBe(test.msg);
        } else {
          expect(
            codeOf(() => aead.open(backend, key, nonce, sealed, aad)),
            label,
          ).toBe('CRYPTO_DECRYPT_FAILED');
        }
      }
    });

    it('refuses a sealed input shorter than the tag', () => {
      const key = new Uint8Array(32);
      const nonce = new Uint8Array(aead.nonce);
      expect(codeOf(() => aead.open(backend, key, nonce, new Uint8Array(15)))).toBe('CRYPTO_DECRYPT_FAILED');
    });
  });

  describe('properties', () => {
    const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const nonce = fc.uint8Array({ minLength: aead.nonce, maxLength: aead.nonce });
    const data = fc.uint8Array({ maxLength: 600 });
    const aad = fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined });

    it('both backends seal identically and each opens what the other sealed', () => {
      fc.assert(
        fc.property(key, nonce, data, aad, (k, n, p, a) => {
          const sealed = aead.seal(nobleBackend, k, n, p, a);
          expect(aead.seal(nativeBackend, k, n, p, a)).toEqual(sealed);
          expect(aead.open(nativeBackend, k, n, sealed, a)).toEqual(p);
          expect(aead.open(nobleBackend, k, n, sealed, a)).toEqual(p);
        }),
      );
    });

    it('any flipped bit of ciphertext, tag, aad, key or nonce fails to open on both backends', () => {
      fc.assert(
        fc.property(
          key,
          nonce,
          data,
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
          fc.nat(),
          fc.constantFrom('sealed', 'aad', 'key', 'nonce'),
          (k, n, p, a, bit, where) => {
            const sealed = aead.seal(nativeBackend, k, n, p, a);
            const s = where === 'sealed' ? flipBit(sealed, bit % (sealed.length * 8)) : sealed;
            const aa = where === 'aad' ? flipBit(a, bit % (a.length * 8)) : a;
            const kk = where === 'key' ? flipBit(k, bit % 256) : k;
            const nn = where === 'nonce' ? flipBit(n, bit % (aead.nonce * 8)) : n;
            for (const backend of BACKENDS) {
              expect(
                codeOf(() => aead.open(backend, kk, nn, s, aa)),
                backend.name,
              ).toBe('CRYPTO_DECRYPT_FAILED');
            }
          },
        ),
      );
    });

    it('missing aad is the same as empty aad, and differs from any non-empty aad', () => {
      fc.assert(
        fc.property(key, nonce, data, fc.uint8Array({ minLength: 1, maxLength: 16 }), (k, n, p, a) => {
          for (const backend of BACKENDS) {
            const sealed = aead.seal(backend, k, n, p);
            expect(aead.seal(backend, k, n, p, new Uint8Array(0))).toEqual(sealed);
            expect(codeOf(() => aead.open(backend, k, n, sealed, a))).toBe('CRYPTO_DECRYPT_FAILED');
          }
        }),
        { numRuns: 30 },
      );
    });
  });
});
