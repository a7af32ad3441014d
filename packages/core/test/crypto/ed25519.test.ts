/**
 * Ed25519 on both backends: RFC 8032 §7.1, every Wycheproof case, Kith's strict verification
 * rule on crafted edge cases (src/crypto/ed25519-strict.ts), and agreement properties.
 */
import { createPublicKey, verify as opensslVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../src/crypto/bytes.ts';
import { ed25519PublicKeyAcceptable } from '../../src/crypto/ed25519-strict.ts';
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

interface Rfc8032 {
  vectors: { name: string; secretKey: string; publicKey: string; message: string; signature: string }[];
}
interface EddsaGroup {
  publicKey: { pk: string };
  tests: (WycheproofCase & { msg: string; sig: string })[];
}

const rfc8032 = loadVectors<Rfc8032>('rfc8032-ed25519.json');
const wycheproof = wycheproofCases(loadVectors<WycheproofFile<EddsaGroup>>('wycheproof/ed25519_test.json'));

/**
 * Decisions for Wycheproof "acceptable" Ed25519 cases: flag -> outcome, reason. The current
 * file has none (every case is valid or invalid); if a future copy brings some, the test below
 * fails until each flag is decided here.
 */
const ACCEPTABLE_ED25519: Record<string, { accept: boolean; reason: string }> = {};

describe.each(BACKENDS)('Ed25519 on $name', (backend) => {
  it.each(rfc8032.vectors)('RFC 8032 §7.1 $name: public key, signature, verification', (v) => {
    const seed = hex(v.secretKey);
    const message = hex(v.message);
    expect(toHex(backend.ed25519PublicKey(seed))).toBe(v.publicKey);
    expect(toHex(backend.ed25519Sign(message, seed))).toBe(v.signature);
    expect(backend.ed25519Verify(hex(v.signature), message, hex(v.publicKey))).toBe(true);
  });

  it(`Wycheproof: all ${wycheproof.length} cases`, () => {
    for (const { group, test } of wycheproof) {
      let expected: boolean;
      if (test.result === 'acceptable') {
        const decisions = test.flags.map((flag) => ACCEPTABLE_ED25519[flag]);
        if (decisions.some((d) => d === undefined)) throw new Error(`tcId ${test.tcId}: undecided flags`);
        expected = decisions.every((d) => d!.accept);
      } else {
        expected = test.result === 'valid';
      }
      const got = backend.ed25519Verify(hex(test.sig), hex(test.msg), hex(group.publicKey.pk));
      expect(got, `tcId ${test.tcId} (${test.comment})`).toBe(expected);
    }
  });

  it('refuses keys and signatures of the wrong length without throwing', () => {
    const seed = new Uint8Array(32).fill(7);
    const pk = backend.ed25519PublicKey(seed);
    const sig = backend.ed25519Sign(new Uint8Array(0), seed);
    expect(backend.ed25519Verify(sig.subarray(0, 63), new Uint8Array(0), pk)).toBe(false);
    expect(backend.ed25519Verify(sig, new Uint8Array(0), pk.subarray(0, 31))).toBe(false);
    expect(() => backend.ed25519Sign(new Uint8Array(0), seed.subarray(0, 31))).toThrow(/32 bytes/);
  });
});

// --- the strict rule: crafted cases where OpenSSL and noble, left alone, disagree ---

const { Point } = ed25519;
const L = Point.Fn.ORDER;
const ORDER_8 = Point.fromBytes(hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'));

function le(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}
function scalarBytes(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}
function challenge(r: Uint8Array, a: Uint8Array, m: Uint8Array): bigint {
  return le(sha512(concatBytes(r, a, m))) % L;
}
/** The libraries themselves, without Kith's rule, to show each crafted case is a real disagreement. */
function rawOpenssl(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  const spki = concatBytes(hex('302a300506032b6570032100'), pk);
  return opensslVerify(
    null,
    msg,
    createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
    sig,
  );
}
function rawNoble(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  try {
    return ed25519.verify(sig, msg, pk, { zip215: false });
  } catch {
    return false;
  }
}

/** A small-order public key with a signature meeting the cofactorless equation. */
function smallOrderKeySignature(torsion: bigint, message: Uint8Array) {
  const A = ORDER_8.multiplyUnsafe(torsion);
  const pk = A.toBytes();
  for (let s = 1n; ; s++) {
    for (let j = 0n; j < 8n; j++) {
      // Guess [k]A = [j]T, set R = [S]B - [j]T and keep it if the guess comes true.
      const R = Point.BASE.multiply(s).subtract(ORDER_8.multiplyUnsafe(j)).toBytes();
      const k = challenge(R, pk, message);
      if (A.multiplyUnsafe(k).equals(ORDER_8.multiplyUnsafe(j))) {
        return { pk, sig: concatBytes(R, scalarBytes(s)) };
      }
    }
  }
}

describe('Ed25519 strict verification rule (both backends)', () => {
  const message = hex('6b697468');

  it('rejects every small-order public key although OpenSSL would accept the signature', () => {
    for (let t = 0n; t < 8n; t++) {
      const { pk, sig } = smallOrderKeySignature(t, message);
      expect(rawOpenssl(sig, message, pk), `torsion ${t}: OpenSSL alone`).toBe(true);
      expect(rawNoble(sig, message, pk), `torsion ${t}: noble alone`).toBe(false);
      expect(ed25519PublicKeyAcceptable(pk)).toBe(false);
      for (const backend of BACKENDS)
        expect(backend.ed25519Verify(sig, message, pk), backend.name).toBe(false);
    }
  });

  it('rejects the non-canonical encodings of keys (y >= p, x = 0 with the sign bit)', () => {
    const encodings = [
      '0100000000000000000000000000000000000000000000000000000000000080',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
      ...Array.from(
        { length: 19 },
        (_, i) => (0xed + i).toString(16).padStart(2, '0') + 'ff'.repeat(30) + '7f',
      ),
      ...Array.from(
        { length: 19 },
        (_, i) => (0xed + i).toString(16).padStart(2, '0') + 'ff'.repeat(30) + 'ff',
      ),
    ].map((h) => hex(h));
    const sig = concatBytes(Point.BASE.toBytes(), scalarBytes(1n));
    for (const pk of encodings) {
      expect(ed25519PublicKeyAcceptable(pk), toHex(pk)).toBe(false);
      for (const backend of BACKENDS) expect(backend.ed25519Verify(sig, message, pk)).toBe(false);
    }
  });

  it('rejects R off by a small-order point (cofactorless), which noble alone would accept', () => {
    const a = 0x1234567n;
    const pk = Point.BASE.multiply(a).toBytes();
    const r = 0x7654321n;
    const R = Point.BASE.multiply(r).add(ORDER_8).toBytes();
    const s = (r + challenge(R, pk, message) * a) % L;
    const sig = concatBytes(R, scalarBytes(s));
    expect(rawNoble(sig, message, pk)).toBe(true);
    expect(rawOpenssl(sig, message, pk)).toBe(false);
    for (const backend of BACKENDS) expect(backend.ed25519Verify(sig, message, pk), backend.name).toBe(false);
  });

  it('decides mixed-order public keys by the cofactorless equation on both backends', () => {
    const a = 0xabcdefn;
    const pk = Point.BASE.multiply(a).add(ORDER_8).toBytes();
    expect(ed25519PublicKeyAcceptable(pk)).toBe(true);
    const outcomes = new Set<boolean>();
    for (let i = 0; i < 24; i++) {
      const msg = Uint8Array.of(i);
      const r = 1000n + BigInt(i);
      const R = Point.BASE.multiply(r).toBytes();
      const k = challenge(R, pk, msg);
      const sig = concatBytes(R, scalarBytes((r + k * a) % L));
      // [S]B - [k]A = R - [k]T: equal to R exactly when 8 divides k.
      const expected = k % 8n === 0n;
      expect(rawNoble(sig, msg, pk)).toBe(true);
      expect(rawOpenssl(sig, msg, pk)).toBe(expected);
      for (const backend of BACKENDS)
        expect(backend.ed25519Verify(sig, msg, pk), `${backend.name} #${i}`).toBe(expected);
      outcomes.add(expected);
    }
    expect(outcomes.size, 'both outcomes were exercised').toBe(2);
  });
});

describe('Ed25519 properties', () => {
  const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const message = fc.uint8Array({ maxLength: 300 });

  it('both backends give identical keys and signatures, and each verifies the other', () => {
    fc.assert(
      fc.property(seed, message, (sk, msg) => {
        const pk = nobleBackend.ed25519PublicKey(sk);
        expect(nativeBackend.ed25519PublicKey(sk)).toEqual(pk);
        const sig = nobleBackend.ed25519Sign(msg, sk);
        expect(nativeBackend.ed25519Sign(msg, sk)).toEqual(sig);
        expect(nativeBackend.ed25519Verify(sig, msg, pk)).toBe(true);
        expect(nobleBackend.ed25519Verify(sig, msg, pk)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('any flipped bit of signature, message or key fails on both backends', () => {
    fc.assert(
      fc.property(seed, message, fc.nat(), fc.constantFrom('sig', 'msg', 'pk'), (sk, msg, bit, where) => {
        const pk = nativeBackend.ed25519PublicKey(sk);
        const sig = nativeBackend.ed25519Sign(msg, sk);
        const m =
          where === 'msg' ? (msg.length > 0 ? flipBit(msg, bit % (msg.length * 8)) : Uint8Array.of(0)) : msg;
        const s = where === 'sig' ? flipBit(sig, bit % 512) : sig;
        const p = where === 'pk' ? flipBit(pk, bit % 256) : pk;
        for (const backend of BACKENDS) expect(backend.ed25519Verify(s, m, p), backend.name).toBe(false);
      }),
      { numRuns: 50 },
    );
  });
});

describe('Ed25519 verification keys kept between calls (native backend)', () => {
  it('a key verified before still decides every later signature on its own', () => {
    const seeds = [hex('11'.repeat(32)), hex('22'.repeat(32))];
    const [pkA, pkB] = seeds.map((s) => nativeBackend.ed25519PublicKey(s));
    const message = hex('6b697468');
    const sigA = nativeBackend.ed25519Sign(message, seeds[0]!);
    const sigB = nativeBackend.ed25519Sign(message, seeds[1]!);
    for (let round = 0; round < 3; round++) {
      expect(nativeBackend.ed25519Verify(sigA, message, pkA!)).toBe(true);
      expect(nativeBackend.ed25519Verify(sigB, message, pkB!)).toBe(true);
      // The other key's signature, a changed message, a flipped bit, a short signature.
      expect(nativeBackend.ed25519Verify(sigB, message, pkA!)).toBe(false);
      expect(nativeBackend.ed25519Verify(sigA, hex('6b697469'), pkA!)).toBe(false);
      expect(nativeBackend.ed25519Verify(flipBit(sigA, 5), message, pkA!)).toBe(false);
      expect(nativeBackend.ed25519Verify(sigA.subarray(0, 63), message, pkA!)).toBe(false);
      // The same key as a Buffer, and a key one byte longer that starts with it.
      expect(nativeBackend.ed25519Verify(sigA, message, Buffer.from(pkA!))).toBe(true);
      expect(nativeBackend.ed25519Verify(sigA, message, concatBytes(pkA!, hex('00')))).toBe(false);
    }
  });

  it('refuses a small-order key however many other keys were seen', () => {
    const message = hex('6b697468');
    const { pk, sig } = smallOrderKeySignature(1n, message);
    for (let i = 0; i < 1100; i++) {
      const seed = new Uint8Array(32).fill(i % 251);
      seed[0] = i >> 8;
      const key = nativeBackend.ed25519PublicKey(seed);
      nativeBackend.ed25519Verify(nativeBackend.ed25519Sign(message, seed), message, key);
      if (i % 100 === 0) expect(nativeBackend.ed25519Verify(sig, message, pk)).toBe(false);
    }
  });
});
