/**
 * Recovery from the phrase with a friend's invite (docs/DESIGN.md §4, docs/PROTOCOL.md §9 step 6): run by
 * `kith recover --phrase-file F --invite CODE` on a fresh data dir, with no agent. It links to the
 * friend with the invite, gets the friend's copy of this user's identity log, appends (root from
 * the phrase, in memory only) revocations and an add-device for this machine at the next index,
 * and sends it back; the friend merges it as an extension, so it knows this device at once.
 * Then it writes the keystore with that log and the friend's log and address record to import.
 */
import { randomBytes } from 'node:crypto';
import { constantTimeEqual } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { deriveRootKeys } from '@kith/core/identity/derive';
import { verifyLog } from '@kith/core/identity/log';
import { extendForRecovery } from '@kith/core/identity/recovery';
import { checkInviteFresh, decodeInvite } from '@kith/core/pairing/invite-code';
import { shortAuthenticationString } from '@kith/core/pairing/sas';
import { PairRefuseMessage } from '@kith/core/wire/pairing';
import {
  RecoverAcceptMessage,
  RecoverExtendMessage,
  RecoverLogMessage,
  RecoverRequestMessage,
} from '@kith/core/wire/recovery';
import { createKeystore, hasKeystore, writeBootstrap } from '../keystore/index.ts';
import { nextMessage } from './next-message.ts';
import { dialInviteWithThrowawayKey, readRecord, refusal } from './invite-dial.ts';

const TIMEOUT_MS = 30_000;

export interface RecoveredDevice {
  userId: string;
  deviceId: string;
  deviceIndex: number;
  revoked: string[];
  friend: { userId: string; name: string | null; deviceId: string };
  sas: string;
}

export async function recoverFromInvite(options: {
  code: string;
  dataDir: string;
  /** The BIP39 seed of the phrase; the root key derived from it is never stored. */
  seed: Uint8Array;
  revoke?: readonly string[];
  deviceName: string;
  passphrase?: string;
  clock?: () => number;
}): Promise<RecoveredDevice> {
  const clock = options.clock ?? Date.now;
  const random = (n: number) => new Uint8Array(randomBytes(n));
  const invite = decodeInvite(options.code);
  checkInviteFresh(invite, clock());
  if (invite.role !== 'friend') {
    throw new KithError(
      'INVITE_ROLE',
      'Recovery takes a friend invite (`kith invite` on a friend’s machine). An own-device invite needs no phrase: `kith accept CODE --data NEW_DIR`.',
    );
  }
  const userId = deriveRootKeys(options.seed).userId;
  if (invite.user === userId) {
    throw new KithError(
      'INVITE_ROLE',
      'It is an invite of your own user: ask a friend for an invite, or run `kith invite --device --phrase-file F` on one of your devices and `kith accept CODE` here.',
    );
  }
  if (await hasKeystore(options.dataDir)) throw new KithError('KEYSTORE_EXISTS');
  const link = await dialInviteWithThrowawayKey(invite, { clock, random });
  try {
    link.send(
      RecoverRequestMessage.encode({ v: 1, t: 'recover-request', inviteId: invite.id, user: userId }),
    );
    const answer = await nextMessage(link, [RecoverLogMessage, PairRefuseMessage], TIMEOUT_MS);
    if (answer.t === 'pair-refuse') throw refusal(answer.code);
    const friend = verifyLog(answer.friendLog);
    const inviter = [...friend.devices.values()].find((d) =>
      constantTimeEqual(d.certificate.agreementKey, invite.key),
    );
    if (friend.userId !== invite.user || !inviter || inviter.status !== 'active') {
      throw new KithError('PAIRING_FAILED', 'The other side’s identity does not match the invite.');
    }
    // Refuses a log that is not this phrase's user (LOG_INVALID).
    const extension = extendForRecovery({
      seed: options.seed,
      log: answer.log,
      revoke: options.revoke ?? [],
      deviceName: options.deviceName,
      now: clock(),
    });
    link.send(RecoverExtendMessage.encode({ v: 1, t: 'recover-extend', log: extension.state.entries }));
    const done = await nextMessage(link, [RecoverAcceptMessage, PairRefuseMessage], TIMEOUT_MS);
    if (done.t === 'pair-refuse') throw refusal(done.code);
    if (done.deviceId !== extension.device.deviceId) {
      throw new KithError('PAIRING_FAILED', 'The friend confirmed another device than this one.');
    }
    // Written only now: a refusal above leaves the data dir empty, so the user can try again.
    const unlocked = await createKeystore({
      dataDir: options.dataDir,
      userId,
      device: extension.device,
      logEntries: extension.state.entries,
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    });
    const record = readRecord(answer.addressRecord);
    await writeBootstrap(options.dataDir, unlocked, {
      records: record ? [record.bytes] : [],
      friendLogs: [answer.friendLog],
    });
    return {
      userId,
      deviceId: extension.device.deviceId,
      deviceIndex: extension.device.index,
      revoked: extension.revoked,
      friend: { userId: friend.userId, name: friend.name || null, deviceId: inviter.certificate.deviceId },
      sas: shortAuthenticationString(link.handshakeHash),
    };
  } finally {
    link.close();
  }
}
