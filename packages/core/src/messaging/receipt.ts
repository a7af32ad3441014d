/**
 * Delivery receipts (issue "Network agent II"): a device says it received (or, as a relay,
 * forwarded or holds) an item. Signed, so a relay cannot forge "delivered" and make the sender
 * stop retrying.
 *
 * v1 names one item; v2 (issue #4, messaging performance) lists up to RECEIPT_MAX_ITEMS items
 * for the same target and state, so a device signs once per batch of what it received from one
 * origin instead of once per item. Both versions are accepted; v2 is what the agent sends.
 */
import { Type } from '@sinclair/typebox';
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend } from '../crypto/index.ts';
import { decodeCanonical } from '../codec.ts';
import { KithError, isKithError } from '../errors.ts';
import { defineSignedFormat } from '../signed-format.ts';
import type { SigningKeyPair } from '../identity/derive.ts';
import { SIG } from '../labels.ts';

export type ReceiptState = 'delivered' | 'relayed';

export const ReceiptFormat = defineSignedFormat(
  'receipt',
  1,
  256,
  Type.Object(
    {
      v: Type.Literal(1),
      item: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
      /** The device the item was for. */
      target: Type.String({ maxLength: 40 }),
      state: Type.Union([Type.Literal('delivered'), Type.Literal('relayed')]),
      signer: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
      at: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
  SIG.DELIVERY_RECEIPT,
);

/** Most item ids one v2 receipt lists (about 17 KiB of body). */
export const RECEIPT_MAX_ITEMS = 1000;

export const ReceiptFormatV2 = defineSignedFormat(
  'receipt',
  2,
  18 * 1024,
  Type.Object(
    {
      v: Type.Literal(2),
      items: Type.Array(Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }), {
        minItems: 1,
        maxItems: RECEIPT_MAX_ITEMS,
      }),
      /** The device the items were for. */
      target: Type.String({ maxLength: 40 }),
      state: Type.Union([Type.Literal('delivered'), Type.Literal('relayed')]),
      signer: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
      at: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
  SIG.DELIVERY_RECEIPT,
);

export interface Receipt {
  item: Uint8Array;
  target: string;
  state: ReceiptState;
  signer: Uint8Array;
  at: number;
}

export function signReceipt(
  r: Omit<Receipt, 'signer'>,
  signer: SigningKeyPair,
  backend: CryptoBackend = defaultBackend(),
): Uint8Array {
  return ReceiptFormat.sign({ v: 1, ...r, signer: signer.publicKey }, signer.seed, backend);
}

export function verifyReceipt(bytes: Uint8Array, backend: CryptoBackend = defaultBackend()): Receipt {
  const { value: body, verified } = ReceiptFormat.open(bytes, (b) => b.signer, backend);
  if (!verified) {
    throw new KithError('MESSAGE_INVALID', 'The receipt signature does not verify.');
  }
  const { v: _v, ...rest } = body;
  return rest;
}

/** A receipt of either version: v1 lists one item. */
export interface ReceiptBatch {
  items: Uint8Array[];
  target: string;
  state: ReceiptState;
  signer: Uint8Array;
  at: number;
}

/** Signs a v2 receipt for 1 to RECEIPT_MAX_ITEMS items sent to the same target. */
export function signReceiptBatch(
  r: Omit<ReceiptBatch, 'signer'>,
  signer: SigningKeyPair,
  backend: CryptoBackend = defaultBackend(),
): Uint8Array {
  return ReceiptFormatV2.sign({ v: 2, ...r, signer: signer.publicKey }, signer.seed, backend);
}

/**
 * Decodes and verifies a receipt of either version (v1 or v2): bad form or a bad signature is
 * MESSAGE_INVALID, like an unreadable v1 receipt always was.
 */
export function openReceipt(bytes: Uint8Array, backend: CryptoBackend = defaultBackend()): ReceiptBatch {
  let version: unknown;
  try {
    version = (decodeCanonical(bytes, ReceiptFormatV2.outer.maxBytes) as { v?: unknown }).v;
  } catch (cause) {
    throw new KithError('MESSAGE_INVALID', 'It is not a well-formed receipt.', { cause });
  }
  if (version === 1) {
    let v1: Receipt;
    try {
      v1 = verifyReceipt(bytes, backend);
    } catch (cause) {
      if (isKithError(cause, 'MESSAGE_INVALID')) throw cause;
      throw new KithError('MESSAGE_INVALID', 'It is not a well-formed receipt.', { cause });
    }
    const { item, ...rest } = v1;
    return { items: [item], ...rest };
  }
  if (version !== 2) throw new KithError('MESSAGE_INVALID', `Receipt version ${String(version)} is unknown.`);
  let opened: ReturnType<typeof ReceiptFormatV2.open>;
  try {
    opened = ReceiptFormatV2.open(bytes, (b) => b.signer, backend);
  } catch (cause) {
    throw new KithError('MESSAGE_INVALID', 'It is not a well-formed receipt.', { cause });
  }
  if (!opened.verified) throw new KithError('MESSAGE_INVALID', 'The receipt signature does not verify.');
  const { v: _v, ...rest } = opened.value;
  return rest;
}
