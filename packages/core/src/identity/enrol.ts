/**
 * Enrolling a device (docs/DESIGN.md §4): the root key certifies the device's keys and appends it to the
 * identity log; a first enrolment may also set the user's name.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend } from '../crypto/index.ts';
import { issueDeviceCertificate } from './certificate.ts';
import type { DeviceKeys, RootKeys } from './derive.ts';
import { type LogState, appendEntry } from './log.ts';

export function enrolDevice(
  log: LogState,
  root: RootKeys,
  device: DeviceKeys,
  options: { deviceName: string; userName?: string; now: number },
  backend: CryptoBackend = defaultBackend(),
): LogState {
  const signer = { kind: 'root', seed: root.root.seed } as const;
  const cert = issueDeviceCertificate(
    root,
    device,
    { name: options.deviceName, issuedAt: options.now },
    backend,
  );
  let state = appendEntry(log, signer, { type: 'add-device', cert }, options.now, backend);
  if (options.userName !== undefined && options.userName !== state.name) {
    state = appendEntry(state, signer, { type: 'profile', name: options.userName }, options.now, backend);
  }
  return state;
}
