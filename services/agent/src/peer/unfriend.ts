/**
 * Unfriending (docs/SECURITY.md "A friend turned hostile", docs/API.md "Friends"): the
 * friendship ends, the user is blocked (our own devices' copies of their log no longer make
 * them a friend again; a new in-person invite of ours does), every link to their devices is
 * closed, their handshakes are refused from then on (admission needs a friend), and what we
 * held for them is dropped: queued items they made or that wait for their devices, and archive
 * blobs they own.
 */
import { KithError } from '@kith/core/errors';
import { eq, inArray, or } from 'drizzle-orm';
import { archiveBlobs, relayQueue } from '@kith/db/schema';
import type { PeerNode } from './peer-node.ts';

export interface UnfriendResult {
  userId: string;
  linksClosed: number;
  relayItemsDropped: number;
  archiveBlobsDropped: number;
}

export async function unfriend(node: PeerNode, userId: string): Promise<UnfriendResult> {
  if (userId === node.userId) throw new KithError('INVALID_INPUT', 'That is your own user id.');
  const { friends } = node;
  if (!(await friends.isFriend(userId)) && !(await friends.isBlocked(userId))) {
    throw new KithError('NOT_A_FRIEND', `${userId} is not one of your friends.`);
  }
  // A tombstone in the friend list: our other devices end the friendship too (friend-list-sync.ts).
  await node.friendList.record(userId, 'removed');
  return removeFriend(node, userId);
}

/** The local part of ending a friendship (also run when an own device's list removes them). */
export async function removeFriend(node: PeerNode, userId: string): Promise<UnfriendResult> {
  const { friends } = node;
  // Blocked first: an own device's log copy arriving in between cannot re-add them.
  await friends.block(userId);
  await friends.remove(userId);
  const linksClosed = node.closeLinksOf(userId);
  const devices = (await node.identity.allDevices())
    .filter((d) => d.userId === userId)
    .map((d) => d.deviceId);
  const db = node.options.components.db.db;
  const theirs = eq(relayQueue.ownerUser, userId);
  const relayed = await db
    .delete(relayQueue)
    .where(devices.length ? or(theirs, inArray(relayQueue.targetDevice, devices)) : theirs)
    .returning({ id: relayQueue.itemId });
  const blobs = await db
    .delete(archiveBlobs)
    .where(eq(archiveBlobs.ownerId, userId))
    .returning({ id: archiveBlobs.id });
  const result = {
    userId,
    linksClosed,
    relayItemsDropped: relayed.length,
    archiveBlobsDropped: blobs.length,
  };
  node.options.events.publish('friend.removed', { ...result });
  node.log.info({ user: userId, linksClosed }, 'friend removed and blocked');
  return result;
}
