import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { issueDeviceCertificate } from '../../src/identity/certificate.ts';
import {
  type DeviceKeys,
  type RootKeys,
  deriveDeviceKeys,
  deriveRootKeys,
} from '../../src/identity/derive.ts';
import {
  type LogState,
  appendEntry,
  createGenesis,
  nextDeviceIndex,
  verifyLog,
} from '../../src/identity/log.ts';
import { checkRecoveryExtension, extendForRecovery } from '../../src/identity/recovery.ts';
import { codeOf } from '../helpers/code-of.ts';

const seedA = new Uint8Array(64).fill(7);
const seedB = new Uint8Array(64).fill(8);
const rootA = deriveRootKeys(seedA);
const rootB = deriveRootKeys(seedB);
const devices = new Map<number, DeviceKeys>();
const deviceA = (i: number) => {
  if (!devices.has(i)) devices.set(i, deriveDeviceKeys(seedA, i));
  return devices.get(i)!;
};

function addDevice(state: LogState, root: RootKeys, device: DeviceKeys): LogState {
  const cert = issueDeviceCertificate(root, device, { name: `d${device.index}`, issuedAt: 10 });
  return appendEntry(state, { kind: 'root', seed: root.root.seed }, { type: 'add-device', cert }, 10);
}
function revoke(state: LogState, index: number): LogState {
  return appendEntry(
    state,
    { kind: 'root', seed: rootA.root.seed },
    { type: 'revoke-device', index, reason: 'lost' },
    20,
  );
}

/** A's log as a friend holds it: devices 0 and 1, device 1 revoked earlier. */
const friendCopy = revoke(
  addDevice(addDevice(verifyLog([createGenesis(rootA)]), rootA, deviceA(0)), rootA, deviceA(1)),
  1,
);

describe('recovery with a friend’s copy of the log', () => {
  it('appends the revocations and the new device at the next index, after every index ever used', () => {
    const r = extendForRecovery({
      seed: seedA,
      log: friendCopy.entries,
      revoke: [deviceA(0).deviceId, deviceA(1).deviceId],
      deviceName: 'new laptop',
      now: 1000,
    });
    // device 1 was already revoked: skipped, not revoked twice
    expect(r.revoked).toEqual([deviceA(0).deviceId]);
    expect(r.device.index).toBe(2);
    expect(r.device.deviceId).toBe(deriveDeviceKeys(seedA, 2).deviceId);
    expect(r.state.entries.slice(0, friendCopy.entries.length)).toStrictEqual(friendCopy.entries);
    expect(r.state.entries.length).toBe(friendCopy.entries.length + 2);
    expect(r.state.devices.get(0)?.status).toBe('revoked');
    expect(r.state.devices.get(2)?.status).toBe('active');
    expect(r.state.devices.get(2)?.certificate.name).toBe('new laptop');
    // what the friend checks: an extension that adds this device
    const checked = checkRecoveryExtension(friendCopy.entries, r.state.entries);
    expect(checked.device.deviceId).toBe(r.device.deviceId);
    // a second recovery from the extended copy never reuses index 2 (nor 0 or 1)
    const again = extendForRecovery({ seed: seedA, log: r.state.entries, deviceName: 'x', now: 2000 });
    expect(again.device.index).toBe(3);
  });

  it('index never reused: over random histories the new index is above every index listed', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 5 }), (steps) => {
        let state = addDevice(verifyLog([createGenesis(rootA)]), rootA, deviceA(0));
        for (const add of steps) {
          // revoke the newest device while it is active, else add one: the top index may be revoked
          const next = nextDeviceIndex(state);
          const newest = state.devices.get(next - 1);
          state =
            add || next < 2 || newest?.status !== 'active'
              ? addDevice(state, rootA, deviceA(next))
              : revoke(state, next - 1);
        }
        const r = extendForRecovery({ seed: seedA, log: state.entries, deviceName: 'r', now: 5 });
        expect(Math.max(...state.devices.keys())).toBeLessThan(r.device.index);
        expect(verifyLog(r.state.entries).devices.size).toBe(state.devices.size + 1);
      }),
      { numRuns: 15 },
    );
  });

  it('refuses a log that is not this phrase’s user (root mismatch)', () => {
    const other = addDevice(verifyLog([createGenesis(rootB)]), rootB, deriveDeviceKeys(seedB, 0));
    expect(
      codeOf(() => extendForRecovery({ seed: seedA, log: other.entries, deviceName: 'x', now: 1 })),
    ).toBe('LOG_INVALID');
    // a forged copy: A's genesis followed by an entry signed by B's root
    const forged = [...friendCopy.entries, other.entries[1]!];
    expect(codeOf(() => extendForRecovery({ seed: seedA, log: forged, deviceName: 'x', now: 1 }))).toBe(
      'LOG_INVALID',
    );
  });

  it('refuses to revoke a device the copy does not list', () => {
    expect(
      codeOf(() =>
        extendForRecovery({
          seed: seedA,
          log: friendCopy.entries,
          revoke: [deriveDeviceKeys(seedB, 0).deviceId],
          deviceName: 'x',
          now: 1,
        }),
      ),
    ).toBe('INVALID_INPUT');
  });

  it('the friend refuses a fork, another user’s log, and a copy that adds no device', () => {
    const ext = extendForRecovery({ seed: seedA, log: friendCopy.entries, deviceName: 'x', now: 1 });
    // the friend's copy moved on meanwhile (device 2 added elsewhere): the recovered log forks it
    const movedOn = addDevice(friendCopy, rootA, deviceA(2));
    expect(codeOf(() => checkRecoveryExtension(movedOn.entries, ext.state.entries))).toBe('LOG_FORK');
    const other = addDevice(verifyLog([createGenesis(rootB)]), rootB, deriveDeviceKeys(seedB, 0));
    expect(codeOf(() => checkRecoveryExtension(friendCopy.entries, other.entries))).toBe('RECOVERY_INVALID');
    // the same copy back, or one that only revokes: nothing to admit
    expect(codeOf(() => checkRecoveryExtension(friendCopy.entries, friendCopy.entries))).toBe(
      'RECOVERY_INVALID',
    );
    expect(codeOf(() => checkRecoveryExtension(friendCopy.entries, revoke(friendCopy, 0).entries))).toBe(
      'RECOVERY_INVALID',
    );
    // a shorter copy is not an extension either
    expect(codeOf(() => checkRecoveryExtension(friendCopy.entries, friendCopy.entries.slice(0, 2)))).toBe(
      'RECOVERY_INVALID',
    );
    expect(codeOf(() => checkRecoveryExtension([], ext.state.entries))).toBe('RECOVERY_UNKNOWN_USER');
  });
});
