/**
 * Storage receipts (docs/DESIGN.md §7): a holder device says, under its signing key, that it stores a
 * blob for an owner. The owner keeps the receipt in its replication ledger; a receipt is what
 * makes a remote copy count toward the replication factor.
 */
import { Type } from '@sinclair/typebox';
import type { CryptoBackend } from '../crypto/backend.ts';
import { constantTimeEqual, defaultBackend } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
import { defineSignedFormat } from '../signed-format.ts';
import type { SigningKeyPair } from '../identity/derive.ts';
import { SIG } from '../labels.ts';

export const StorageReceiptFormat = defineSignedFormat(
  'storage-receipt',
  1,
  320,
  Type.Object(
    {
      v: Type.Literal(1),
      /** Content id of the blob (32 bytes). */
      blob: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
      /** The holder device's Ed25519 signing public key. */
      holder: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
      /** The owner's user id. */
      owner: Type.String({ minLength: 1, maxLength: 128 }),
      size: Type.Integer({ minimum: 0 }),
      /** Holder's clock, ms since the epoch. */
      at: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
  SIG.STORAGE_RECEIPT,
);

export interface StorageReceipt {
  blob: Uint8Array;
  holder: Uint8Array;
  owner: string;
  size: number;
  at: number;
}

export function signStorageReceipt(
  r: Omit<StorageReceipt, 'holder'>,
  holder: SigningKeyPair,
  backend: CryptoBackend = defaultBackend(),
): Uint8Array {
  return StorageReceiptFormat.sign({ v: 1, ...r, holder: holder.publicKey }, holder.seed, backend);
}

/** Decodes a receipt and checks its signature by the key it names; throws ARCHIVE_RECEIPT_INVALID. */
export function verifyStorageReceipt(
  bytes: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): StorageReceipt {
  let opened: ReturnType<typeof StorageReceiptFormat.open>;
  try {
    opened = StorageReceiptFormat.open(bytes, (b) => b.holder, backend);
  } catch (cause) {
    throw new KithError('ARCHIVE_RECEIPT_INVALID', 'It cannot be decoded.', { cause });
  }
  const body = opened.value;
  if (!opened.verified) {
    throw new KithError('ARCHIVE_RECEIPT_INVALID', 'Its signature does not verify.');
  }
  const { v: _v, ...rest } = body;
  return rest;
}

/**
 * Verifies a receipt and checks that it is for exactly this blob, owner and size, signed by the
 * expected holder key. Returns the receipt; throws ARCHIVE_RECEIPT_INVALID otherwise.
 */
export function checkStorageReceipt(
  bytes: Uint8Array,
  expected: { blob: Uint8Array; holder: Uint8Array; owner: string; size: number },
  backend: CryptoBackend = defaultBackend(),
): StorageReceipt {
  const r = verifyStorageReceipt(bytes, backend);
  if (!constantTimeEqual(r.holder, expected.holder))
    throw new KithError('ARCHIVE_RECEIPT_INVALID', 'It is signed by another device than the holder.');
  if (!constantTimeEqual(r.blob, expected.blob))
    throw new KithError('ARCHIVE_RECEIPT_INVALID', 'It names another blob.');
  if (r.owner !== expected.owner || r.size !== expected.size)
    throw new KithError('ARCHIVE_RECEIPT_INVALID', 'It names another owner or size.');
  return r;
}
