/**
 * The friend bundle this device archives (core archive/friend-bundle.ts; docs/PROTOCOL.md §9
 * "Friends after a recovery"): the signed friend list, and per friend their identity log and
 * their devices' latest signed address records. A digest over what it holds, without the
 * list's signing time, tells the archivist when to seal a new one.
 */
import {
  FRIEND_BUNDLE_MAX_ADDRESSES,
  FRIEND_BUNDLE_MAX_LOG_ENTRIES,
  type FriendBundle,
} from '@kith/core/archive/friend-bundle';
import { encodeCanonical } from '@kith/core/codec';
import { defaultBackend, toHex } from '@kith/core/crypto/index';
import { normaliseFriendEntries } from '@kith/core/friend-list';
import type { PeerNode } from '../peer/peer-node.ts';

export interface BuiltFriendBundle {
  bundle: FriendBundle;
  /** Entries of the list (friends and tombstones). */
  entries: number;
  digest: string;
}

/** The bundle as of now; undefined while locked (the list cannot be signed) or with no friend. */
export async function buildFriendBundle(node: PeerNode): Promise<BuiltFriendBundle | undefined> {
  const entries = normaliseFriendEntries(await node.friendList.entries());
  const friends: FriendBundle['friends'] = [];
  for (const e of entries) {
    if (e.state !== 'friend') continue;
    const log = await node.identity.entries(e.user);
    // A friend without a log, or with a longer one than a bundle holds, is left to an invite.
    if (log.length === 0 || log.length > FRIEND_BUNDLE_MAX_LOG_ENTRIES) continue;
    const addresses: Uint8Array[] = [];
    for (const d of await node.identity.devicesOf(e.user)) {
      if (d.status !== 'active' || addresses.length >= FRIEND_BUNDLE_MAX_ADDRESSES) continue;
      const record = await node.addresses.get(d.deviceId);
      if (record) addresses.push(record.bytes);
    }
    friends.push({ user: e.user, log, addresses });
  }
  if (friends.length === 0) return undefined;
  const digest = toHex(
    defaultBackend().sha256(
      encodeCanonical({ entries: entries.map((e) => ({ user: e.user, state: e.state, at: e.at })), friends }),
    ),
  );
  const list = await node.friendList.signed();
  if (!list) return undefined;
  return { bundle: { v: 1, list, friends }, entries: entries.length, digest };
}
