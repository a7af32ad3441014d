import { randomBytes } from 'node:crypto';
import { KithError } from '@kith/core/errors';
import type { RootKeys } from '@kith/core/identity/derive';
import { type LogState, appendEntry, findDevice } from '@kith/core/identity/log';
import type { Parsed } from '../args.ts';
import { flagString } from '../command.ts';
import { readSecretFile } from '../io.ts';

export { enrolDevice } from '@kith/core/identity/enrol';

export const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export async function unlockPassphrase(args: Parsed): Promise<string | undefined> {
  const file = flagString(args, 'passphrase-file');
  return file === undefined ? undefined : readSecretFile(file, 'passphrase');
}

export async function bip39Passphrase(args: Parsed): Promise<string> {
  const file = flagString(args, 'bip39-passphrase-file');
  return file === undefined ? '' : readSecretFile(file, 'BIP39 passphrase');
}

export function revokeDevices(log: LogState, root: RootKeys, deviceIds: string[], now: number): LogState {
  let state = log;
  for (const id of deviceIds) {
    const record = findDevice(state, id);
    if (!record) {
      throw new KithError(
        'INVALID_INPUT',
        `Device ${id} is not in the identity log this machine has. Give a friend's invite with --invite CODE, or the log with --log FILE (from \`kith identity --export-log\`).`,
      );
    }
    if (record.status === 'revoked') continue;
    state = appendEntry(
      state,
      { kind: 'root', seed: root.root.seed },
      { type: 'revoke-device', index: record.certificate.index, reason: 'revoked during recovery' },
      now,
    );
  }
  return state;
}

export const NAME_LIMIT = 64;
export function checkName(name: string, what: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > NAME_LIMIT) {
    throw new KithError('INVALID_INPUT', `The ${what} must be 1 to ${NAME_LIMIT} characters.`);
  }
  return trimmed;
}
