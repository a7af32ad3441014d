/**
 * Delivery receipts (issue "Network agent II"): a device says it received (or, as a relay,
 * forwarded or holds) an item. Signed, so a relay cannot forge "delivered" and make the sender
 * stop retrying.
 */
import { Type } from '@sinclair/typebox';
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
import { defineFormat } from '../format.ts';
import type { SigningKeyPair } from '../identity/derive.ts';
import { SIG } from '../labels.ts';
import { signWithLabel, verifyWithLabel } from '../signing.ts';

export type ReceiptState = 'delivered' | 'relayed';

const BodyFormat = defineFormat(
  'receipt-body',
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
);

export const ReceiptFormat = defineFormat(
  'receipt',
  1,
  400,
  Type.Object(
    {
      v: Type.Literal(1),
      body: Type.Uint8Array({ maxByteLength: 256 }),
      sig: Type.Uint8Array({ minByteLength: 64, maxByteLength: 64 }),
    },
    { additionalProperties: false },
  ),
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
  const body = BodyFormat.encode({ v: 1, ...r, signer: signer.publicKey });
  return ReceiptFormat.encode({
    v: 1,
    body,
    sig: signWithLabel(SIG.DELIVERY_RECEIPT, body, signer.seed, backend),
  });
}

export function verifyReceipt(bytes: Uint8Array, backend: CryptoBackend = defaultBackend()): Receipt {
  const outer = ReceiptFormat.decode(bytes);
  const body = BodyFormat.decode(outer.body);
  if (!verifyWithLabel(SIG.DELIVERY_RECEIPT, outer.sig, outer.body, body.signer, backend)) {
    throw new KithError('MESSAGE_INVALID', 'The receipt signature does not verify.');
  }
  const { v: _v, ...rest } = body;
  return rest;
}
