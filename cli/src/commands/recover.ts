import { hostname } from 'node:os';
import { constantTimeEqual } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { createGenesis, nextDeviceIndex, verifyLog } from '@kith/core/identity/log';
import { checkPhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { createKeystore, hasKeystore } from '@kith/agent/keystore/index';
import { recoverFromInvite } from '@kith/agent/peer/recover-from-invite';
import { type Command, flagList, flagString } from '../command.ts';
import { readSecretFile } from '../io.ts';
import {
  bip39Passphrase,
  checkName,
  enrolDevice,
  random,
  revokeDevices,
  unlockPassphrase,
} from './identity-common.ts';
import { readLogExport } from './log-file.ts';

/**
 * Without a copy of the log this machine cannot know which indexes are taken, so it draws one
 * from [2^24, 2^31): sequential enrolment never gets there, and two random draws collide with
 * probability ~2^-31 (docs/ARCHITECTURE.md, "Device indexes").
 */
const RECOVERY_INDEX_BASE = 2 ** 24;

export const recoverCommand: Command = {
  name: 'recover',
  usage:
    'kith recover --phrase-file F [--invite CODE | --log FILE] [--revoke DEVICE_ID…] [--passphrase-file P]',
  summary:
    'Rebuild your root key from the seed phrase on this machine, enrol it as a new device,\n' +
    'and revoke lost devices. Nothing is written unless the phrase is valid.\n' +
    'With --invite CODE (a friend runs `kith invite`), the friend hands over its copy of your\n' +
    'identity log and accepts this device at once; without it or --log, friends refuse a fresh copy.',
  flags: {
    'phrase-file': { kind: 'string', description: 'file holding the 24-word seed phrase' },
    invite: { kind: 'string', description: 'a friend invite code (`kith invite` on a friend’s machine)' },
    revoke: { kind: 'list', description: 'device ids to revoke (needs the log: --invite or --log)' },
    log: { kind: 'string', description: 'identity log exported with `kith identity --export-log`' },
    'device-name': { kind: 'string', description: 'this device’s name (default: the host name)' },
    'passphrase-file': {
      kind: 'string',
      description: 'encrypt the device keys under this unlock passphrase',
      env: 'KITH_PASSPHRASE_FILE',
    },
    'bip39-passphrase-file': { kind: 'string', description: 'the BIP39 passphrase, if the phrase has one' },
  },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const phraseFile = flagString(args, 'phrase-file');
    if (phraseFile === undefined) throw new KithError('USAGE', 'recover needs --phrase-file F.');
    const deviceName = checkName(flagString(args, 'device-name') ?? hostname(), 'device name');
    const phrase = checkPhrase(await readSecretFile(phraseFile, 'phrase'));
    if (await hasKeystore(dataDir)) throw new KithError('KEYSTORE_EXISTS');
    const passphrase = await unlockPassphrase(args);
    const seed = phraseToSeed(phrase, await bip39Passphrase(args));
    const inviteCode = flagString(args, 'invite');
    const logPath = flagString(args, 'log');
    if (inviteCode !== undefined) {
      if (logPath !== undefined) throw new KithError('USAGE', 'Give --invite CODE or --log FILE, not both.');
      const r = await recoverFromInvite({
        code: inviteCode,
        dataDir,
        seed,
        revoke: flagList(args, 'revoke'),
        deviceName,
        ...(passphrase !== undefined ? { passphrase } : {}),
      });
      out.result(
        r,
        `Recovered user ${r.userId}\nThis device: ${r.deviceId} (index ${r.deviceIndex})` +
          (r.revoked.length ? `\nRevoked: ${r.revoked.join(', ')}` : '') +
          `\nFriend ${r.friend.userId}${r.friend.name ? ` (${r.friend.name})` : ''} knows this device now.` +
          `\nCompare this with the friend’s screen: ${r.sas}\nStart it with: kith up --data ${dataDir}`,
      );
      return;
    }
    const root = deriveRootKeys(seed);

    let log = verifyLog([createGenesis(root)]);
    if (logPath !== undefined) {
      log = verifyLog(await readLogExport(logPath));
      if (!constantTimeEqual(log.rootKey, root.root.publicKey)) {
        throw new KithError('LOG_INVALID', 'That log belongs to another user than this phrase.');
      }
    }
    const now = Date.now();
    log = revokeDevices(log, root, flagList(args, 'revoke'), now);
    const knowsDevices = log.devices.size > 0;
    const index = knowsDevices
      ? nextDeviceIndex(log)
      : RECOVERY_INDEX_BASE + (new DataView(random(4).buffer).getUint32(0) % (2 ** 31 - RECOVERY_INDEX_BASE));
    const device = deriveDeviceKeys(seed, index);
    log = enrolDevice(log, root, device, { deviceName, now });
    await createKeystore({ dataDir, userId: root.userId, device, logEntries: log.entries, passphrase });

    const revoked = [...log.devices.values()]
      .filter((d) => d.status === 'revoked')
      .map((d) => d.certificate.deviceId);
    if (!knowsDevices) {
      out.note(
        'No copy of your identity log was given, so this device was enrolled on a fresh copy, ' +
          'which your friends refuse as a fork. Prefer an empty data dir and ' +
          '`kith recover --phrase-file F --invite CODE` with an invite from a friend.',
      );
    }
    out.result(
      { userId: root.userId, deviceId: device.deviceId, deviceIndex: index, revoked },
      `Recovered user ${root.userId}\nThis device: ${device.deviceId} (index ${index})` +
        (revoked.length ? `\nRevoked: ${revoked.join(', ')}` : ''),
    );
  },
};
