/**
 * Epoch keys (docs/DESIGN.md §5): each sending device has one epoch key per conversation, sent once in
 * a t=1 envelope to every member device; messages are sealed under keys derived from it. A new
 * epoch starts when the member devices change (membership, enrolment, revocation) or the epoch
 * grows old, which bounds what a stolen device reveals of the past.
 */
import { decodeCanonical, encodeCanonical } from '../codec.ts';
import type { RandomSource } from '../crypto/backend.ts';
import { constantTimeEqual, toHex } from '../crypto/index.ts';
import { type OpenedEnvelope, openEnvelope, sealEnvelope } from '../envelope.ts';
import { KithError } from '../errors.ts';
import type { AgreementKeyPair, SigningKeyPair } from '../identity/derive.ts';

export const EPOCH_KIND = 'epoch-key';
/** An epoch lasts at most this long (the schedule part of docs/DESIGN.md §5's rotation). */
export const EPOCH_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
export const EPOCH_MAX_MESSAGES = 1_000;

export interface EpochKey {
  conv: string;
  epoch: Uint8Array;
  key: Uint8Array;
}

export function recipientsFingerprint(keys: Uint8Array[]): string {
  return keys
    .map((k) => toHex(k))
    .sort()
    .join(',');
}

export async function sealEpochKey(
  epoch: EpochKey,
  recipients: Uint8Array[],
  sender: SigningKeyPair,
  createdAt: number,
  random: RandomSource,
): Promise<Uint8Array> {
  return sealEnvelope({
    kind: EPOCH_KIND,
    plaintext: encodeCanonical({ conv: epoch.conv, epoch: epoch.epoch, key: epoch.key }),
    recipients,
    threshold: 1,
    sender,
    createdAt,
    meta: encodeCanonical({ conv: epoch.conv }),
    random,
  });
}

/** Opens an epoch key with the device's agreement key or any prekey it still holds. */
export async function openEpochKey(
  bytes: Uint8Array,
  key: AgreementKeyPair | readonly AgreementKeyPair[],
): Promise<EpochKey & { sender: Uint8Array }> {
  const opened: OpenedEnvelope = await openEnvelope(bytes, { keys: Array.isArray(key) ? [...key] : [key] });
  if (opened.kind !== EPOCH_KIND) throw new KithError('MESSAGE_INVALID', 'It is not an epoch key.');
  const doc = decodeCanonical(opened.plaintext) as { conv?: unknown; epoch?: unknown; key?: unknown };
  if (
    typeof doc.conv !== 'string' ||
    !(doc.epoch instanceof Uint8Array) ||
    doc.epoch.length !== 16 ||
    !(doc.key instanceof Uint8Array) ||
    doc.key.length !== 32
  ) {
    throw new KithError('MESSAGE_INVALID', 'The epoch key has the wrong shape.');
  }
  const meta = decodeCanonical(opened.meta) as { conv?: unknown };
  if (meta.conv !== doc.conv)
    throw new KithError('MESSAGE_INVALID', 'The epoch key names two conversations.');
  return { conv: doc.conv, epoch: doc.epoch, key: doc.key, sender: opened.sender };
}

export function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return constantTimeEqual(a, b);
}
