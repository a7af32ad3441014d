/**
 * A new user from a seed, in memory: seed -> root keys -> genesis -> the first device enrolled
 * (docs/ARCHITECTURE.md "Identity"). Pure; writing the keys is the keystore's job
 * (services/agent/src/keystore/create-identity.ts).
 */
import { type DeviceKeys, deriveDeviceKeys, deriveRootKeys, type RootKeys } from './derive.ts';
import { enrolDevice } from './enrol.ts';
import { createGenesis, type LogState, verifyLog } from './log.ts';

export interface NewIdentity {
  root: RootKeys;
  device: DeviceKeys;
  /** Genesis and the device's enrolment, verified. */
  log: LogState;
}

export function newIdentity(
  seed: Uint8Array,
  options: { deviceName: string; userName?: string | undefined; now: number; deviceIndex?: number },
): NewIdentity {
  const root = deriveRootKeys(seed);
  const device = deriveDeviceKeys(seed, options.deviceIndex ?? 0);
  const log = enrolDevice(verifyLog([createGenesis(root)]), root, device, {
    deviceName: options.deviceName,
    userName: options.userName,
    now: options.now,
  });
  return { root, device, log };
}
