import { KithError } from '@kith/core/errors';
import { ARCHIVE_BLOB_KINDS, type ArchiveBlobKind } from '@kith/db/schema';
import { CONTENT_ID_BYTES, contentId } from './content-id.ts';

export type { ArchiveBlobKind };

/**
 * Largest ciphertext the archive takes: an envelope carries at most 4 MiB of body
 * (ENVELOPE_MAX_PLAINTEXT) plus its header, tag and wrapped shares.
 */
export const MAX_BLOB_BYTES = 5 * 1024 * 1024;

/** Owner ids are user ids (25 characters grouped by dashes); the bound only keeps junk out. */
const MAX_OWNER_ID_LENGTH = 128;

/** A blob as a caller hands it to the store. */
export interface BlobInput {
  /** `contentId(ciphertext)`; checked on every put. */
  readonly id: Uint8Array;
  /** The user whose data this is (their user id). */
  readonly ownerId: string;
  readonly kind: ArchiveBlobKind;
  readonly ciphertext: Uint8Array;
}

/** What the store knows about a blob without reading its bytes. */
export interface BlobMeta {
  readonly id: Uint8Array;
  readonly ownerId: string;
  readonly kind: ArchiveBlobKind;
  readonly size: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface StoredBlob extends BlobMeta {
  readonly ciphertext: Uint8Array;
}

/** Builds a blob input with its content id computed. */
export function blobInput(ownerId: string, kind: ArchiveBlobKind, ciphertext: Uint8Array): BlobInput {
  return { id: contentId(ciphertext), ownerId, kind, ciphertext };
}

/** Why a blob cannot be stored, or undefined when it can. Hashes the ciphertext once. */
export function blobProblem(blob: BlobInput, maxBytes: number = MAX_BLOB_BYTES): KithError | undefined {
  if (typeof blob !== 'object' || blob === null)
    return new KithError('INVALID_INPUT', 'A blob is an object.');
  if (
    typeof blob.ownerId !== 'string' ||
    blob.ownerId.length === 0 ||
    blob.ownerId.length > MAX_OWNER_ID_LENGTH
  ) {
    return new KithError('INVALID_INPUT', 'A blob needs the user id of its owner.');
  }
  if (!(ARCHIVE_BLOB_KINDS as readonly string[]).includes(blob.kind)) {
    return new KithError('INVALID_INPUT', `A blob kind is one of ${ARCHIVE_BLOB_KINDS.join(', ')}.`);
  }
  if (!(blob.ciphertext instanceof Uint8Array) || !(blob.id instanceof Uint8Array)) {
    return new KithError('INVALID_INPUT', 'A blob id and its ciphertext are byte arrays.');
  }
  if (blob.ciphertext.length > maxBytes) {
    return new KithError(
      'ARCHIVE_BLOB_TOO_LARGE',
      `It has ${blob.ciphertext.length} bytes; the limit is ${maxBytes} bytes.`,
    );
  }
  if (blob.id.length !== CONTENT_ID_BYTES || !sameBytes(blob.id, contentId(blob.ciphertext))) {
    return new KithError('ARCHIVE_BLOB_ID_MISMATCH');
  }
  return undefined;
}

/** Ids are public content hashes, so a plain comparison is fine (no secret to time). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A map key for an id. */
export function idKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

/** A map key for a blob row: rows are keyed by (owner, id). */
export function blobKey(ownerId: string, id: Uint8Array): string {
  return `${ownerId}/${idKey(id)}`;
}

/** Byte order of ids, the order rows are written in (so concurrent writers lock alike). */
export function compareIds(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
