/**
 * The new device's side of an own-device invite (docs/DESIGN.md §4): run by `kith accept CODE` on a
 * fresh data dir, with no agent. It links to the inviter with the invite, receives the keys the
 * root holder derived for it, checks them against the signed log, and writes its keystore.
 */
import { randomBytes } from 'node:crypto';
import { constantTimeEqual, defaultBackend } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import type { DeviceKeys } from '@kith/core/identity/derive';
import { verifyLog } from '@kith/core/identity/log';
import { checkInviteFresh, decodeInvite } from '@kith/core/pairing/invite-code';
import { shortAuthenticationString } from '@kith/core/pairing/sas';
import { DeviceEnrolMessage, PairRefuseMessage, PairRequestMessage } from '@kith/core/wire/pairing';
import { createKeystore, hasKeystore, writeBootstrapRecords } from '../keystore/index.ts';
import { nextMessage } from './next-message.ts';
import { dialInviteWithThrowawayKey, readRecord, refusal } from './invite-dial.ts';

export async function enrolFromInvite(options: {
  code: string;
  dataDir: string;
  passphrase?: string;
  clock?: () => number;
}): Promise<{ userId: string; deviceId: string; deviceIndex: number; sas: string }> {
  const clock = options.clock ?? Date.now;
  const random = (n: number) => new Uint8Array(randomBytes(n));
  const invite = decodeInvite(options.code);
  checkInviteFresh(invite, clock());
  if (invite.role !== 'device') {
    throw new KithError(
      'INVITE_ROLE',
      'It is a friend invite: run `kith accept CODE` where your own agent runs.',
    );
  }
  if (await hasKeystore(options.dataDir)) throw new KithError('KEYSTORE_EXISTS');
  const backend = defaultBackend();
  const link = await dialInviteWithThrowawayKey(invite, { clock, random });
  try {
    link.send(
      PairRequestMessage.encode({ v: 1, t: 'pair-request', inviteId: invite.id, log: null, addresses: [] }),
    );
    const answer = await nextMessage(link, [DeviceEnrolMessage, PairRefuseMessage], 30_000);
    if (answer.t === 'pair-refuse') throw refusal(answer.code);
    const log = verifyLog(answer.log);
    const record = log.devices.get(answer.index);
    const signingPublic = backend.ed25519PublicKey(answer.signingSeed);
    const agreementPublic = backend.x25519PublicKey(answer.agreementPrivateKey);
    if (
      log.userId !== invite.user ||
      !record ||
      record.status !== 'active' ||
      !constantTimeEqual(record.certificate.signingKey, signingPublic) ||
      !constantTimeEqual(record.certificate.agreementKey, agreementPublic)
    ) {
      throw new KithError('PAIRING_FAILED', 'The keys handed over do not match the signed identity log.');
    }
    const device: DeviceKeys = {
      index: answer.index,
      deviceId: record.certificate.deviceId,
      signing: { seed: answer.signingSeed, publicKey: signingPublic },
      agreement: { privateKey: answer.agreementPrivateKey, publicKey: agreementPublic },
    };
    const unlocked = await createKeystore({
      dataDir: options.dataDir,
      userId: log.userId,
      device,
      logEntries: answer.log,
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    });
    const inviterRecord = readRecord(answer.addressRecord);
    if (inviterRecord) await writeBootstrapRecords(options.dataDir, unlocked, [inviterRecord.bytes]);
    return {
      userId: log.userId,
      deviceId: device.deviceId,
      deviceIndex: device.index,
      sas: shortAuthenticationString(link.handshakeHash),
    };
  } finally {
    link.close();
  }
}
