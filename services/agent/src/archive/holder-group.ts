/**
 * Whom an archive pass seals to (archivist.ts): the holder group of a current item and the second
 * device of a history item.
 */
import { KithError } from '@kith/core/errors';
import type { PeerNode } from '../peer/peer-node.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';

/**
 * Group 1 of a current seal: friends' active devices (any of them may hold it); with no
 * friend yet, the owner's other devices (weaker: docs/SECURITY.md).
 */
export async function holderGroup(
  node: PeerNode,
  own: DeviceRow[],
): Promise<{ keys: Uint8Array[]; devices: string[] }> {
  const friends: DeviceRow[] = [];
  for (const f of await node.friends.list())
    for (const d of await node.identity.devicesOf(f.userId)) if (d.status === 'active') friends.push(d);
  const group = friends.length > 0 ? friends : own.filter((d) => d.deviceId !== node.deviceId);
  return { keys: group.map((d) => d.staticPublicKey), devices: group.map((d) => d.deviceId) };
}

/** The history item's second device (Y): another active own device than `me`. */
export function otherDevice(own: DeviceRow[], me: string): DeviceRow {
  const other = own.find((d) => d.deviceId !== me);
  if (!other) throw new KithError('ARCHIVE_HISTORY_ONE_DEVICE');
  return other;
}
