/**
 * Friends back from the archive after a recovery (docs/PROTOCOL.md §9 "Friends after a
 * recovery"): the friend bundle, opened by `kith archive restore --phrase-file` in the CLI,
 * handed over whole. Every part is checked as if it came over a link: the list must be signed
 * by a device of our own user (a lost one, revoked since, is expected: it wrote the bundle),
 * each log by its user's root, each address record by a device that log lists. Merged entry by
 * entry with the usual stamps, so an old bundle never undoes a later decision.
 */
import { FriendBundleFormat } from '@kith/core/archive/friend-bundle';
import { verifyAddressRecord } from '@kith/core/address-record';
import { isKithError, KithError } from '@kith/core/errors';
import { verifyFriendList } from '@kith/core/friend-list';
import type { PeerNode } from './peer-node.ts';

export interface FriendsRestored {
  friends: number;
  added: string[];
}

export async function restoreFriends(node: PeerNode, bytes: Uint8Array): Promise<FriendsRestored> {
  const bundle = FriendBundleFormat.decode(bytes);
  const list = verifyFriendList(bundle.list);
  const signer = await node.identity.deviceBySigningKey(list.signingKey);
  if (list.userId !== node.userId || signer?.userId !== node.userId) {
    throw new KithError(
      'INVALID_INPUT',
      'That friend list was not written by a device of yours: restore with your own phrase.',
    );
  }
  const listed = new Set(list.entries.filter((e) => e.state === 'friend').map((e) => e.user));
  for (const friend of bundle.friends) {
    if (!listed.has(friend.user) || friend.user === node.userId) continue;
    try {
      const state = await node.adoptFriendLog(friend.log);
      if (state.userId !== friend.user) continue;
    } catch (err) {
      // A log that does not verify, or forks the copy we hold: that friend is left to an invite.
      node.log.warn({ code: isKithError(err) ? err.code : undefined }, 'restore: a friend’s log was refused');
      continue;
    }
    for (const bytes of friend.addresses) {
      try {
        const record = verifyAddressRecord(bytes);
        if ((await node.identity.device(record.deviceId))?.userId === friend.user)
          await node.addresses.offer(record);
      } catch {
        // a bad record is skipped; the friend's own announcements replace it later
      }
    }
  }
  const before = new Set((await node.friends.list()).map((f) => f.userId));
  await node.friendList.restore(list.entries);
  const after = (await node.friends.list()).map((f) => f.userId);
  void node.dialDue();
  return {
    friends: after.filter((u) => listed.has(u)).length,
    added: after.filter((u) => !before.has(u)),
  };
}
