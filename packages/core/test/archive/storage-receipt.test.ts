import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPossessionProof, possessionProof } from '../../src/archive/possession.ts';
import {
  checkStorageReceipt,
  signStorageReceipt,
  verifyStorageReceipt,
} from '../../src/archive/storage-receipt.ts';
import { fromHex, toHex } from '../../src/crypto/index.ts';
import { isKithError } from '../../src/errors.ts';
import { backends } from '../helpers/backends.ts';

const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
// RFC 8032 test 1 key pair.
const holder = {
  seed,
  publicKey: fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
};
const blob = fromHex('11'.repeat(32));
const fields = { blob, owner: 'ABCDE-FGHIJ-KLMNO-PQRST-UVWXY', size: 1234, at: 1_700_000_000_000 };

describe('storage receipts', () => {
  for (const backend of backends()) {
    it(`signs and verifies (${backend.name ?? 'backend'})`, () => {
      const bytes = signStorageReceipt(fields, holder, backend);
      const r = verifyStorageReceipt(bytes, backend);
      expect(r).toEqual({ ...fields, holder: holder.publicKey });
      expect(checkStorageReceipt(bytes, { ...fields, holder: holder.publicKey }, backend).at).toBe(fields.at);
    });
  }

  it('has a stable byte form (our own vector)', () => {
    const bytes = signStorageReceipt(fields, holder);
    expect(toHex(bytes)).toBe(RECEIPT_VECTOR);
  });

  it('refuses a receipt for another blob, owner, size or holder', () => {
    const bytes = signStorageReceipt(fields, holder);
    const expected = { ...fields, holder: holder.publicKey };
    const wrong = [
      { ...expected, blob: fromHex('22'.repeat(32)) },
      { ...expected, owner: 'someone-else' },
      { ...expected, size: 1235 },
      { ...expected, holder: fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c') },
    ];
    for (const w of wrong) {
      expect(() => checkStorageReceipt(bytes, w)).toThrow(/storage receipt/);
    }
  });

  it('refuses every single-bit change (property)', () => {
    const bytes = signStorageReceipt(fields, holder);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length * 8 - 1 }), (bit) => {
        const tampered = bytes.slice();
        tampered[bit >> 3]! ^= 1 << (bit & 7);
        try {
          verifyStorageReceipt(tampered);
          return false;
        } catch (e) {
          return isKithError(e, 'ARCHIVE_RECEIPT_INVALID');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('possession proofs', () => {
  it('is SHA-256(nonce || ciphertext), checked against node:crypto', () => {
    const nonce = fromHex('00'.repeat(31) + '01');
    const data = new TextEncoder().encode('abc');
    const expected = createHash('sha256').update(nonce).update(data).digest('hex');
    for (const backend of backends()) expect(toHex(possessionProof(nonce, data, backend))).toBe(expected);
    expect(expected).toBe(PROOF_VECTOR);
  });

  it('accepts the right answer and refuses a wrong blob, nonce or proof (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 256 }),
        fc.integer({ min: 0, max: 255 }),
        (nonce, data, flip) => {
          const proof = possessionProof(nonce, data);
          if (!checkPossessionProof(nonce, data, proof)) return false;
          const bad = proof.slice();
          bad[flip % 32]! ^= 1 + (flip >> 5);
          const otherData = new Uint8Array([...data, 0]);
          const otherNonce = nonce.slice();
          otherNonce[0]! ^= 0x80;
          return (
            !checkPossessionProof(nonce, data, bad) &&
            !checkPossessionProof(nonce, otherData, proof) &&
            !checkPossessionProof(otherNonce, data, proof) &&
            !checkPossessionProof(nonce, data, proof.subarray(0, 31))
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a nonce of the wrong length', () => {
    expect(() => possessionProof(new Uint8Array(16), new Uint8Array(1))).toThrow();
  });
});

const RECEIPT_VECTOR =
  'a36176016373696758403e782badb4997774cdcc0433498f74eacfd4a8a15ea044f61cc64016b87df58fba40020a5d538d233bbba71ea629150fb4d0139f9fce8f6339428178a792b90d64626f6479588da66176016261741b0000018bcfe5680064626c6f62582011111111111111111111111111111111111111111111111111111111111111116473697a651904d2656f776e6572781d41424344452d464748494a2d4b4c4d4e4f2d50515253542d555657585966686f6c6465725820d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const PROOF_VECTOR = 'e9d09a0a73309be125160b870eb9f2a1e9196e92ea45670e7b838e4cc1c18dfc';
