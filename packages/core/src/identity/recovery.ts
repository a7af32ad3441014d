/**
 * Recovery from the phrase with a friend's invite (docs/DESIGN.md §4; docs/PROTOCOL.md "Recovery with a
 * friend's invite"). The recovering machine takes the friend's copy of its user's identity log,
 * appends root-signed revocations and an add-device for itself, and hands the result back; the
 * friend accepts it only as an extension of its copy that adds a device. Both checks are here so
 * the two sides cannot drift apart.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { constantTimeEqual, defaultBackend } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
import type { DeviceCertificate } from './certificate.ts';
import { type DeviceKeys, type RootKeys, deriveDeviceKeys, deriveRootKeys } from './derive.ts';
import { enrolDevice } from './enrol.ts';
import { type LogState, appendEntry, findDevice, mergeLog, nextDeviceIndex, verifyLog } from './log.ts';

export interface RecoveryExtension {
  /** The log with the revocations and this device appended. */
  state: LogState;
  device: DeviceKeys;
  /** Device ids revoked by this extension (already-revoked ones are skipped). */
  revoked: string[];
}

/**
 * Extends a copy of the user's log (received from a friend) for a device recovered from the
 * phrase: revokes `revoke` and enrols device `nextDeviceIndex(log)`, whose keys come from the
 * phrase. Refuses a log that is not this phrase's user (LOG_INVALID) and unknown devices to revoke.
 * The root key lives only in this call.
 */
export function extendForRecovery(
  options: {
    seed: Uint8Array;
    log: readonly Uint8Array[];
    revoke?: readonly string[];
    deviceName: string;
    now: number;
  },
  backend: CryptoBackend = defaultBackend(),
): RecoveryExtension {
  const root: RootKeys = deriveRootKeys(options.seed, backend);
  let state = verifyLog(options.log, backend);
  if (!constantTimeEqual(state.rootKey, root.root.publicKey)) {
    throw new KithError('LOG_INVALID', 'That log belongs to another user than this phrase.');
  }
  const revoked: string[] = [];
  for (const id of options.revoke ?? []) {
    const record = findDevice(state, id);
    if (!record) {
      throw new KithError('INVALID_INPUT', `Device ${id} is not in the identity log your friend holds.`);
    }
    if (record.status === 'revoked') continue;
    state = appendEntry(
      state,
      { kind: 'root', seed: root.root.seed },
      { type: 'revoke-device', index: record.certificate.index, reason: 'revoked during recovery' },
      options.now,
      backend,
    );
    revoked.push(id);
  }
  // Indexes are never reused (docs/DESIGN.md §4): the next one after every index the log ever listed.
  const device = deriveDeviceKeys(options.seed, nextDeviceIndex(state), backend);
  state = enrolDevice(state, root, device, { deviceName: options.deviceName, now: options.now }, backend);
  return { state, device, revoked };
}

/**
 * The friend's check of a recovered log: it must extend `known` (its copy of the same user's log,
 * no fork) and add at least one device; the device added last is the recovered one.
 */
export function checkRecoveryExtension(
  known: readonly Uint8Array[],
  extended: readonly Uint8Array[],
  backend: CryptoBackend = defaultBackend(),
): { state: LogState; device: DeviceCertificate } {
  if (known.length === 0) throw new KithError('RECOVERY_UNKNOWN_USER');
  const before = verifyLog(known, backend);
  const after = verifyLog(extended, backend);
  if (after.userId !== before.userId) {
    throw new KithError('RECOVERY_INVALID', 'The log sent back is another user’s.');
  }
  mergeLog(known, extended, backend); // LOG_FORK when they differ in a common entry
  const added = [...after.devices.values()].filter((d) => !before.devices.has(d.certificate.index));
  const device = added[added.length - 1]; // devices are kept in the order the log adds them
  if (extended.length <= known.length || !device || device.status !== 'active') {
    throw new KithError('RECOVERY_INVALID', 'The log sent back adds no active device to this copy.');
  }
  return { state: after, device: device.certificate };
}
