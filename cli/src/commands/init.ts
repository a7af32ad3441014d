import { open } from 'node:fs/promises';
import { hostname } from 'node:os';
import { KithError } from '@kith/core/errors';
import { createIdentity } from '@kith/agent/keystore/create-identity';
import { hasKeystore } from '@kith/agent/keystore/index';
import { type Command, flagString } from '../command.ts';
import type { Output } from '../io.ts';
import { bip39Passphrase, checkName, random, unlockPassphrase } from './identity-common.ts';

async function writePhraseFile(path: string, phrase: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KithError(
      'INVALID_INPUT',
      code === 'EEXIST'
        ? `${path} already exists; Kith never overwrites a phrase file.`
        : `Cannot create ${path} (${code}).`,
    );
  }
  try {
    await handle.writeFile(`${phrase}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Shows the phrase once, on stderr (never in --json output). */
export function showPhrase(out: Output, phrase: string): void {
  const words = phrase.split(' ').map((w, i) => `${String(i + 1).padStart(2)}. ${w}`);
  const rows = [];
  for (let i = 0; i < 8; i++)
    rows.push(`  ${words[i]!.padEnd(16)}${words[i + 8]!.padEnd(16)}${words[i + 16]}`);
  out.note(
    `\nYour seed phrase. Write it on paper now; it is shown only this once and is not stored here.\n` +
      `Anyone who has it can act as you.\n\n${rows.join('\n')}\n`,
  );
}

export const initCommand: Command = {
  name: 'init',
  usage: 'kith init [--name N] [--phrase-file F] [--passphrase-file P]',
  summary:
    'Create a new user: a fresh 24-word seed phrase, its root key, and this machine as the first device.\n' +
    'The phrase is written to F (mode 0600) or shown once on the screen: write it on paper.',
  flags: {
    name: { kind: 'string', description: 'your name, as friends will see it' },
    'device-name': { kind: 'string', description: 'this device’s name (default: the host name)' },
    'phrase-file': { kind: 'string', description: 'write the seed phrase to this new file (0600)' },
    'passphrase-file': {
      kind: 'string',
      description: 'encrypt the device keys under this unlock passphrase',
      env: 'KITH_PASSPHRASE_FILE',
    },
    'bip39-passphrase-file': { kind: 'string', description: 'optional BIP39 passphrase (“25th word”)' },
  },
  maxPositionals: 0,
  async run({ dataDir, args, out }) {
    const userName = flagString(args, 'name');
    const deviceName = checkName(flagString(args, 'device-name') ?? hostname(), 'device name');
    if (userName !== undefined) checkName(userName, 'name');
    if (await hasKeystore(dataDir)) throw new KithError('KEYSTORE_EXISTS');
    const passphrase = await unlockPassphrase(args);
    const seedPassphrase = await bip39Passphrase(args);

    const phraseFile = flagString(args, 'phrase-file');
    const { phrase, userId, device } = await createIdentity({
      dataDir,
      deviceName,
      userName: userName?.trim(),
      passphrase,
      bip39Passphrase: seedPassphrase,
      random,
      ...(phraseFile !== undefined ? { savePhrase: (p: string) => writePhraseFile(phraseFile, p) } : {}),
    });

    if (phraseFile === undefined) showPhrase(out, phrase!);
    out.result(
      { userId, deviceId: device.deviceId, deviceIndex: device.index, dataDir },
      `Created user ${userId}\nThis device: ${device.deviceId} (index 0)\nData: ${dataDir}`,
    );
  },
};
