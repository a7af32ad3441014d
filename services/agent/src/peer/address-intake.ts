/**
 * Which address records in one gossip message are worth a signature check (docs/SECURITY.md
 * "Flooding"), decided from what each record claims, without checking anything yet: only the
 * newest copy per device, only a device we know as active, of the sender's own user (our own
 * devices may tell us about friends too), only a seq above the one we hold.
 */
import { peekAddressRecord } from '@kith/core/address-record';
import type { DeviceRow } from '../repositories/identity-repository.ts';

export interface IntakeContext {
  /** This device: its own record comes from itself only. */
  ownDeviceId: string;
  /** The sending device's user, and whether that is our own user. */
  senderUserId: string;
  fromOwn: boolean;
  /** The seq we hold per device. */
  held: ReadonlyMap<string, number>;
  devices: ReadonlyMap<string, DeviceRow>;
  /** Our user or a friend. */
  isRelated: (userId: string) => Promise<boolean>;
}

export async function recordsToCheck(
  records: readonly Uint8Array[],
  c: IntakeContext,
): Promise<Uint8Array[]> {
  const newest = new Map<string, { seq: number; bytes: Uint8Array }>();
  for (const bytes of records) {
    let claim: { deviceId: string; seq: number };
    try {
      claim = peekAddressRecord(bytes);
    } catch {
      continue;
    }
    if (claim.deviceId === c.ownDeviceId) continue;
    const seen = newest.get(claim.deviceId);
    if (!seen || seen.seq < claim.seq) newest.set(claim.deviceId, { seq: claim.seq, bytes });
  }
  const due: Uint8Array[] = [];
  for (const [deviceId, claim] of newest) {
    const row = c.devices.get(deviceId);
    if (row?.status !== 'active' || claim.seq <= (c.held.get(deviceId) ?? -1)) continue;
    if (c.fromOwn ? !(await c.isRelated(row.userId)) : row.userId !== c.senderUserId) continue;
    due.push(claim.bytes);
  }
  return due;
}
