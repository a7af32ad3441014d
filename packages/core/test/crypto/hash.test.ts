/**
 * SHA-2, HMAC, HKDF-SHA256 and PBKDF2-SHA512 on both backends: Wycheproof HKDF, a few FIPS /
 * RFC 4231 known answers, and byte-equality of the two backends on random inputs. (BIP39's
 * PBKDF2 vectors belong to the identity tests; here only backend agreement is checked.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../src/crypto/bytes.ts';
import { nativeBackend } from '../../src/crypto/native.ts';
import { nobleBackend } from '../../src/crypto/noble.ts';
import {
  BACKENDS,
  hex,
  loadVectors,
  type WycheproofCase,
  type WycheproofFile,
  wycheproofCases,
} from './load.ts';

interface HkdfGroup {
  tests: (WycheproofCase & { ikm: string; salt: string; info: string; size: number; okm: string })[];
}
const hkdfCases = wycheproofCases(loadVectors<WycheproofFile<HkdfGroup>>('wycheproof/hkdf_sha256_test.json'));

describe.each(BACKENDS)('hashes and KDFs on $name', (backend) => {
  it(`Wycheproof HKDF-SHA256: all ${hkdfCases.length} cases`, () => {
    for (const { test } of hkdfCases) {
      const label = `tcId ${test.tcId} (${test.comment}, ${test.flags.join(',')})`;
      expect(test.result, label).not.toBe('acceptable');
      const run = () => backend.hkdfSha256(hex(test.ikm), hex(test.salt), hex(test.info), test.size);
      if (test.result === 'valid') expect(toHex(run()), label).toBe(test.okm);
      else expect(run, label).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });

  it('SHA-256 and SHA-512 of "abc" (FIPS 180-4 examples)', () => {
    expect(toHex(backend.sha256(utf8.encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(toHex(backend.sha512(utf8.encode('abc')))).toBe(
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    );
  });

  it('HMAC-SHA256 and HMAC-SHA512 (RFC 4231 test case 2)', () => {
    const key = utf8.encode('Jefe');
    const data = utf8.encode('what do ya want for nothing?');
    expect(toHex(backend.hmacSha256(key, data))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(toHex(backend.hmacSha512(key, data))).toBe(
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    );
  });
});

describe('backend agreement on random inputs', () => {
  const bytes = (max: number) => fc.uint8Array({ maxLength: max });

  it('SHA-256, SHA-512, HMAC-SHA256, HMAC-SHA512', () => {
    fc.assert(
      fc.property(bytes(200), bytes(300), (key, data) => {
        expect(nativeBackend.sha256(data)).toEqual(nobleBackend.sha256(data));
        expect(nativeBackend.sha512(data)).toEqual(nobleBackend.sha512(data));
        expect(nativeBackend.hmacSha256(key, data)).toEqual(nobleBackend.hmacSha256(key, data));
        expect(nativeBackend.hmacSha512(key, data)).toEqual(nobleBackend.hmacSha512(key, data));
      }),
    );
  });

  it('HKDF-SHA256, including infos beyond the 1024 bytes node:crypto takes', () => {
    fc.assert(
      fc.property(
        bytes(80),
        bytes(80),
        bytes(1500),
        fc.integer({ min: 0, max: 255 * 32 }),
        (ikm, salt, info, n) => {
          expect(nativeBackend.hkdfSha256(ikm, salt, info, n)).toEqual(
            nobleBackend.hkdfSha256(ikm, salt, info, n),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('HKDF-SHA256 refuses more than 255 * 32 bytes on both backends', () => {
    for (const backend of BACKENDS) {
      expect(() =>
        backend.hkdfSha256(new Uint8Array(32), new Uint8Array(0), new Uint8Array(0), 8161),
      ).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });

  it('PBKDF2-SHA512 (the BIP39 seed function) with small iteration counts', () => {
    fc.assert(
      fc.property(
        bytes(64),
        bytes(64),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 130 }),
        (p, s, c, n) => {
          expect(nativeBackend.pbkdf2Sha512(p, s, c, n)).toEqual(nobleBackend.pbkdf2Sha512(p, s, c, n));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('PBKDF2-SHA512 at the BIP39 parameters (2048 iterations, 64 bytes)', () => {
    const password = utf8.encode('abandon '.repeat(23) + 'art');
    const salt = utf8.encode('mnemonicTREZOR');
    const seed = nativeBackend.pbkdf2Sha512(password, salt, 2048, 64);
    expect(seed).toHaveLength(64);
    expect(nobleBackend.pbkdf2Sha512(password, salt, 2048, 64)).toEqual(seed);
  });
});
