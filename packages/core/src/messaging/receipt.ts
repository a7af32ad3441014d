/**
 * Delivery receipts (issue "Network agent II"): a device says it received (or, as a relay,
 * forwarded or holds) an item. Signed, so a relay cannot forge "delivered" and make the sender
 * stop retrying.
 */
import { Type } from '@sinclair/typebox';
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
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
