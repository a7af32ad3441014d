import { randomBytes } from 'node:crypto';
import { KithError } from '@kith/core/errors';
import { issueDeviceCertificate } from '@kith/core/identity/certificate';
import type { DeviceKeys, RootKeys } from '@kith/core/identity/derive';
import { type LogState, appendEntry, findDevice } from '@kith/core/identity/log';
import type { Parsed } from '../args.ts';
import { flagString } from '../command.ts';
import { readSecretFile } from '../io.ts';

export const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export async function unlockPassphrase(args: Parsed): Promise<string | undefined> {
  const file = flagString(args, 'passphrase-file');
  return file === undefined ? undefined : readSecretFile(file, 'passphrase');
}

export async function bip39Passphrase(args: Parsed): Promise<string> {
  const file = flagString(args, 'bip39-passphrase-file');
  return file === undefined ? '' : readSecretFile(file, 'BIP39 passphrase');
}

/** Root-signs this device into the log: its certificate, then (if given) the user's name. */
export function enrolDevice(
  log: LogState,
  root: RootKeys,
  device: DeviceKeys,
  options: { deviceName: string; userName?: string; now: number },
): LogState {
  const signer = { kind: 'root', seed: root.root.seed } as const;
  const cert = issueDeviceCertificate(root, device, { name: options.deviceName, issuedAt: options.now });
  let state = appendEntry(log, signer, { type: 'add-device', cert }, options.now);
  if (options.userName !== undefined && options.userName !== state.name) {
    state = appendEntry(state, signer, { type: 'profile', name: options.userName }, options.now);
  }
  return state;
}

export function revokeDevices(log: LogState, root: RootKeys, deviceIds: string[], now: number): LogState {
  let state = log;
  for (const id of deviceIds) {
    const record = findDevice(state, id);
    if (!record) {
      throw new KithError(
        'INVALID_INPUT',
        `Device ${id} is not in the identity log this machine has. Give the log with --log FILE (from \`kith identity --export-log\`).`,
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
