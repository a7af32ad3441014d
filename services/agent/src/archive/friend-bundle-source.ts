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
import { defaultBackend, fromHex, toHex } from '@kith/core/crypto/index';
import { normaliseFriendEntries } from '@kith/core/friend-list';
import { friendBundleTopic, sealFriendBundle } from '@kith/core/archive/archive-seal';
import { isKithError } from '@kith/core/errors';
import type { PeerNode } from '../peer/peer-node.ts';
import type { DeviceRow } from '../repositories/identity-repository.ts';
import type { ListedHistory } from './archive-lists.ts';
import type { LocalState } from './archivist-state.ts';
import type { ArchiveAccess } from './archivist-options.ts';

/**
 * At most this many other devices are sent the friend bundle. After losing every device only
 * the friend who gave the invite answers the recovered device until the bundle introduces it
 * to the others, so the bundle goes to every own and friend device, not just the factor's.
 */
export const FRIEND_BUNDLE_HOLDERS = 16;

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

/** Active own devices but this one, and friends' active devices: who may hold the bundle. */
export async function bundleHolders(node: PeerNode): Promise<number> {
  let n = 0;
  for (const u of [node.userId, ...(await node.friends.list()).map((f) => f.userId)])
    for (const d of await node.identity.devicesOf(u))
      if (d.status === 'active' && d.deviceId !== node.deviceId) n++;
  return Math.min(n, FRIEND_BUNDLE_HOLDERS);
}

/**
 * One archivist pass for the friend bundle (PROTOCOL §9 "Friends after a recovery"): sealed anew
 * when it changed, and then returned as the history index entry to list; unchanged, the same
 * bytes are put again so a device that lacked them gets them (the put is idempotent). `messages`
 * counts its entries (tombstones too), so a newer bundle covers an older one only when it holds
 * as many: a recovered device's short list does not unlist the bundle its lost devices wrote.
 */
export async function archiveFriendBundle(input: {
  node: PeerNode;
  access: ArchiveAccess;
  state: LocalState;
  own: DeviceRow[];
  now: number;
}): Promise<ListedHistory | undefined> {
  const { node, access, state, own, now } = input;
  const copies = await bundleHolders(node);
  const friends = await buildFriendBundle(node);
  if (friends && friends.digest !== state.friendsDigest) {
    const ciphertext = await sealFriendBundle({
      bundle: friends.bundle,
      owners: own.map((d) => d.staticPublicKey),
      recovery: node.ownLog.recoveryKey,
      sender: node.options.device.keys.signing,
      createdAt: now,
      random: node.random,
    });
    const { id } = await access.put({ kind: 'history', ciphertext, copies });
    state.friendsDigest = friends.digest;
    state.friendsBlob = id;
    return { topic: toHex(friendBundleTopic()), blob: id, from: 0, closedAt: now, messages: friends.entries };
  }
  if (!state.friendsBlob) return undefined;
  try {
    const { ciphertext } = await access.fetchBlob(fromHex(state.friendsBlob));
    await access.put({ kind: 'history', ciphertext, copies });
  } catch (err) {
    if (!isKithError(err)) throw err;
    node.log.info({ code: err.code }, 'archive: the friend bundle was not put again this pass');
  }
  return undefined;
}
