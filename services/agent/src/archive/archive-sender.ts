/**
 * Who sealed an archive item, checked before a holder keeps it or hands over a key share of it
 * (docs/SECURITY.md "A friend holding your archive item"; docs/ARCHITECTURE.md "Archive
 * encryption and retrieval").
 *
 * A friend who holds one of your items could otherwise copy its wraps into an envelope of its
 * own, store that as its own item on one of your devices and ask for "its" share back. So:
 *  - the envelope's signer must be a device of the item's owner, per the owner's identity log
 *    this node holds: active to be stored, active or since revoked to have a share re-wrapped
 *    (items your lost device sealed stay readable to your other devices);
 *  - header v3 binds every wrap to that signer and the whole header, so a copy re-signed by
 *    anyone else opens for no recipient;
 *  - header v1/v2 (older items) do not: for an item of another user, this device hands over
 *    only the holder-group share of a 2-of-2 (the one place a friend's item gives this device a
 *    share), never an owner-group share, a history share or a list's content key.
 */
import { constantTimeEqual } from '@kith/core/crypto/index';
import { type VerifiedEnvelope, verifyEnvelope } from '@kith/core/envelope';
import { type ErrorCode, isKithError, KithError } from '@kith/core/errors';
import type { IdentityRepository } from '../repositories/identity-repository.ts';

export type SenderCheck =
  | { readonly ok: true; readonly envelope: VerifiedEnvelope }
  | { readonly ok: false; readonly code: ErrorCode };

/**
 * Whether `ciphertext` is an envelope signed by a device of `owner`: `active` for a store,
 * `known` (active or revoked) for a re-wrap.
 */
export async function checkArchiveSender(
  identity: Pick<IdentityRepository, 'deviceBySigningKey'>,
  ciphertext: Uint8Array,
  owner: string,
  need: 'active' | 'known',
): Promise<SenderCheck> {
  let envelope: VerifiedEnvelope;
  try {
    envelope = verifyEnvelope(ciphertext);
  } catch (err) {
    if (isKithError(err) && (err.code.startsWith('ENVELOPE_') || err.code.startsWith('CODEC_'))) {
      return { ok: false, code: err.code };
    }
    throw err;
  }
  const device = await identity.deviceBySigningKey(envelope.sender);
  if (!device || device.userId !== owner || (need === 'active' && device.status !== 'active')) {
    return { ok: false, code: 'ARCHIVE_SENDER_NOT_OWNER' };
  }
  return { ok: true, envelope };
}

/**
 * Why a holder does not keep `ciphertext` as `owner`'s item (not an envelope, or not sealed by
 * an active device of `owner`: a copy of someone else's item), or undefined when it does.
 */
export async function storeRefusal(
  identity: Pick<IdentityRepository, 'deviceBySigningKey'>,
  ciphertext: Uint8Array,
  owner: string,
): Promise<ErrorCode | undefined> {
  const sealed = await checkArchiveSender(identity, ciphertext, owner, 'active');
  return sealed.ok ? undefined : sealed.code;
}

/** Throws unless `ciphertext` is an envelope an active device of `owner` sealed. */
export async function assertSealedByOwner(
  identity: Pick<IdentityRepository, 'deviceBySigningKey'>,
  ciphertext: Uint8Array,
  owner: string,
): Promise<void> {
  const code = await storeRefusal(identity, ciphertext, owner);
  if (code === 'ARCHIVE_SENDER_NOT_OWNER') throw new KithError(code);
  if (code) throw new KithError(code, 'An archive item is an envelope sealed by one of your devices.');
}

/**
 * The groups whose share this device may hand over for an item of `owner` (this device's user
 * is `self`), given the groups its key is in: all of them for its own user's items and for
 * header v3; for another user's v1/v2 item only the holder group of a 2-of-2 (group 1 of 2).
 */
export function releasableGroups(
  envelope: VerifiedEnvelope,
  mine: readonly number[],
  owner: string,
  self: string,
): number[] {
  if (owner === self || envelope.headerVersion >= 3) return [...mine];
  if (envelope.headerVersion !== 2 || envelope.threshold !== 2 || envelope.groups.length !== 2) return [];
  return mine.filter((g) => g === 1);
}

/** Whether `key` is one of the keys of group `group`. */
export function inGroup(envelope: VerifiedEnvelope, group: number, key: Uint8Array): boolean {
  return envelope.groups[group]?.some((k) => constantTimeEqual(k, key)) ?? false;
}
