/**
 * Friends back after a recovery, within `kith archive restore --phrase-file` (docs/PROTOCOL.md
 * §9 "Friends after a recovery"): the friend bundles the history index lists are opened here with
 * the phrase and handed to the agent, which verifies and merges them; then each friend that does
 * not know this device yet is introduced to it by one link as a lost device (keys from the
 * phrase, in this process only) carrying our extended log.
 */
import { openFriendBundle } from '@kith/core/archive/archive-seal';
import { type FriendBundle, FriendBundleFormat } from '@kith/core/archive/friend-bundle';
import { isKithError } from '@kith/core/errors';
import { deriveDeviceKeys, type AgreementKeyPair } from '@kith/core/identity/derive';
import { verifyLog } from '@kith/core/identity/log';
import type { ApiClient } from '@kith/api';
import { type Introduction, introduceRecovered } from '@kith/agent/peer/introduce-recovered';

export interface FriendsReport {
  /** Friends of the restored list this device now counts. */
  friends: number;
  /** Users that became friends here by the restore. */
  added: string[];
  /** Each friend device that was not linked, and how its introduction went. */
  introduced: Introduction[];
  failed: { id: string; code: string }[];
}

export async function restoreFriendsByPhrase(
  agent: ApiClient,
  keys: AgreementKeyPair[],
  seed: Uint8Array,
  bundleIds: string[],
): Promise<FriendsReport> {
  const report: FriendsReport = { friends: 0, added: [], introduced: [], failed: [] };
  const opened: { id: string; bundle: FriendBundle }[] = [];
  for (const id of bundleIds) {
    try {
      const r = await agent.archiveBlob({ params: { id } });
      const { bundle } = await openFriendBundle(new Uint8Array(Buffer.from(r.ciphertext, 'base64')), {
        keys,
      });
      opened.push({ id, bundle });
    } catch (e) {
      report.failed.push({ id, code: isKithError(e) ? e.code : 'INTERNAL' });
    }
  }
  const friends = new Map<string, FriendBundle['friends'][number]>();
  for (const { bundle } of opened)
    for (const f of bundle.friends) if (!friends.has(f.user)) friends.set(f.user, f);
  // Introduced first, so the agent's first dial after the restore finds them admitting this device.
  // Devices linked now know this device already (the invite giver, or an earlier introduction).
  const online = new Set((await agent.peers()).filter((p) => p.online).map((p) => p.deviceId));
  const log = await agent.identityLog();
  const own = verifyLog(log.entries.map((e) => new Uint8Array(Buffer.from(e, 'hex'))));
  const lost = [...own.devices.values()]
    .filter((d) => d.status === 'revoked')
    .map((d) => ({
      keys: deriveDeviceKeys(seed, d.certificate.index).agreement,
      certificate: d.certificate.bytes,
    }));
  if (lost.length > 0 && friends.size > 0)
    report.introduced = await introduceRecovered({
      own,
      lost,
      friends: [...friends.values()],
      skipDevices: online,
    });
  for (const { id, bundle } of opened) {
    try {
      const restored = await agent.restoreFriends({
        body: { bundle: Buffer.from(FriendBundleFormat.encode(bundle)).toString('base64') },
      });
      report.friends = Math.max(report.friends, restored.friends);
      report.added.push(...restored.added.filter((u) => !report.added.includes(u)));
    } catch (e) {
      report.failed.push({ id, code: isKithError(e) ? e.code : 'INTERNAL' });
    }
  }
  return report;
}
