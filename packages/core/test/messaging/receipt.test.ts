/**
 * Delivery receipts v1 (one item) and v2 (a list of items, one signature per batch): stable
 * byte forms (our own vectors), round trips for both backends, and refusal of any tampering.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/index.ts';
import {
  RECEIPT_MAX_ITEMS,
  openReceipt,
  signReceipt,
  signReceiptBatch,
  verifyReceipt,
} from '../../src/messaging/receipt.ts';
import { backends } from '../helpers/backends.ts';
import { codeOf } from '../helpers/code-of.ts';

// RFC 8032 test 1 key pair.
const signer = {
  seed: fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
  publicKey: fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
};
const target = 'DEVICE-TARGET-0001';
const at = 1_700_000_000_000;
const ids = [fromHex('11'.repeat(16)), fromHex('22'.repeat(16)), fromHex('33'.repeat(16))];

describe('receipts', () => {
  it('v1 has a stable byte form and still opens', () => {
    const bytes = signReceipt({ item: ids[0]!, target, state: 'delivered', at }, signer);
    expect(toHex(bytes)).toBe(V1_VECTOR);
    expect(verifyReceipt(bytes)).toEqual({
      item: ids[0],
      target,
      state: 'delivered',
      signer: signer.publicKey,
      at,
    });
    expect(openReceipt(bytes)).toEqual({
      items: [ids[0]],
      target,
      state: 'delivered',
      signer: signer.publicKey,
      at,
    });
  });

  it('v2 has a stable byte form (fixture) and lists every item', () => {
    const bytes = signReceiptBatch({ items: ids, target, state: 'delivered', at }, signer);
    expect(toHex(bytes)).toBe(V2_VECTOR);
    expect(openReceipt(bytes)).toEqual({
      items: ids,
      target,
      state: 'delivered',
      signer: signer.publicKey,
      at,
    });
    // The v1 entry point does not take a v2 receipt for one of its own.
    expect(() => verifyReceipt(bytes)).toThrow();
  });

  for (const backend of backends()) {
    it(`v2 round-trips any list of ids (property, ${backend.name})`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { minLength: 1, maxLength: 40 }),
          fc.constantFrom('delivered' as const, 'relayed' as const),
          fc.nat(),
          (items, state, when) => {
            const bytes = signReceiptBatch({ items, target, state, at: when }, signer, backend);
            const r = openReceipt(bytes, backend);
            return (
              r.items.length === items.length &&
              r.items.every((x, i) => toHex(x) === toHex(items[i]!)) &&
              r.state === state &&
              r.at === when &&
              r.target === target &&
              toHex(r.signer) === toHex(signer.publicKey)
            );
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  it('v2 takes 1 to RECEIPT_MAX_ITEMS items, no more, no fewer', () => {
    const many = Array.from({ length: RECEIPT_MAX_ITEMS }, (_, i) => {
      const id = new Uint8Array(16);
      id[0] = i & 0xff;
      id[1] = i >> 8;
      return id;
    });
    expect(
      openReceipt(signReceiptBatch({ items: many, target, state: 'relayed', at }, signer)).items,
    ).toHaveLength(RECEIPT_MAX_ITEMS);
    expect(
      codeOf(() => signReceiptBatch({ items: [...many, ids[0]!], target, state: 'relayed', at }, signer)),
    ).toBe('CODEC_SCHEMA');
    expect(codeOf(() => signReceiptBatch({ items: [], target, state: 'relayed', at }, signer))).toBe(
      'CODEC_SCHEMA',
    );
  });

  it('refuses every single-bit change of a v2 receipt as MESSAGE_INVALID (property)', () => {
    const bytes = signReceiptBatch({ items: ids, target, state: 'delivered', at }, signer);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length * 8 - 1 }), (bit) => {
        const tampered = bytes.slice();
        tampered[bit >> 3]! ^= 1 << (bit & 7);
        return codeOf(() => openReceipt(tampered)) === 'MESSAGE_INVALID';
      }),
      { numRuns: 400 },
    );
  });

  it('refuses garbage and unknown versions as MESSAGE_INVALID', () => {
    expect(codeOf(() => openReceipt(new Uint8Array([1, 2, 3])))).toBe('MESSAGE_INVALID');
    expect(codeOf(() => openReceipt(fromHex('a1617603')))).toBe('MESSAGE_INVALID'); // { v: 3 }
  });
});

const V1_VECTOR =
  'a361760163736967584029a2b61285473784167b02e8f096cd071ad4d56a9046d94f46d1a12c34ef3c32b2cf' +
  '520faff1eaf2f8a4e905f43095c6d9074701453283c31fdc38c97b4b430f64626f64795879a6617601626174' +
  '1b0000018bcfe56800646974656d50111111111111111111111111111111116573746174656964656c697665' +
  '726564667369676e65725820d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a' +
  '66746172676574724445564943452d5441524745542d30303031';
const V2_VECTOR =
  'a3617602637369675840f9fed024c115b7b1323269662b096ae722b7fd50e07d24a806a3b812b80d9d20166f' +
  '5a846ab610939cc5ec3456e65a927c29ad04364495a0f2177459209c2c0964626f6479589da6617602626174' +
  '1b0000018bcfe56800656974656d738350111111111111111111111111111111115022222222222222222222' +
  '22222222222250333333333333333333333333333333336573746174656964656c697665726564667369676e' +
  '65725820d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a6674617267657472' +
  '4445564943452d5441524745542d30303031';
