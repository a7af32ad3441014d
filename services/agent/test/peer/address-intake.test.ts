import { randomBytes } from 'node:crypto';
import { signAddressRecord, verifyAddressRecord } from '@kith/core/address-record';
import { deriveDeviceKeys } from '@kith/core/identity/derive';
import { describe, expect, it } from 'vitest';
import { type IntakeContext, recordsToCheck } from '../../src/peer/address-intake.ts';
import type { DeviceRow } from '../../src/repositories/identity-repository.ts';

/** Which gossiped address records get a signature check (docs/SECURITY.md "Flooding"). */
const device = (userId: string) => {
  const keys = deriveDeviceKeys(new Uint8Array(randomBytes(64)), 0);
  const record = (seq: number) =>
    signAddressRecord(keys.signing, { seq, addresses: ['127.0.0.1:7470'], issuedAt: 1 });
  const deviceId = verifyAddressRecord(record(0)).deviceId;
  return { keys, record, deviceId, row: { deviceId, userId, status: 'active' } as unknown as DeviceRow };
};

describe('recordsToCheck', () => {
  const friend = device('friend');
  const other = device('other-friend');
  const stranger = device('stranger');
  const context = (over: Partial<IntakeContext> = {}): IntakeContext => ({
    ownDeviceId: 'me',
    senderUserId: 'friend',
    fromOwn: false,
    held: new Map([[friend.deviceId, 3]]),
    devices: new Map([
      [friend.deviceId, friend.row],
      [other.deviceId, other.row],
    ]),
    isRelated: async (u) => u === 'friend' || u === 'other-friend',
    ...over,
  });

  it('keeps one copy per device, the newest, and only above the held seq', async () => {
    const copies = [...Array(511).fill(friend.record(4)), friend.record(5), friend.record(2)];
    const due = await recordsToCheck(copies, context());
    expect(due).toHaveLength(1);
    expect(verifyAddressRecord(due[0]!).seq).toBe(5);
    expect(await recordsToCheck(Array(512).fill(friend.record(3)), context())).toEqual([]);
  });

  it('skips unknown devices, other users’ devices from a friend, and garbage', async () => {
    const records = [stranger.record(9), other.record(9), new Uint8Array([1, 2, 3])];
    expect(await recordsToCheck(records, context())).toEqual([]);
    // Our own devices may tell us about any friend.
    expect(
      await recordsToCheck([other.record(9)], context({ fromOwn: true, senderUserId: 'me' })),
    ).toHaveLength(1);
  });
});
