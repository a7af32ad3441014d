/**
 * The friend list is the user's, not the device's (docs/PROTOCOL.md "Friend list"): a friend
 * confirmed on A's phone is admitted and dialled by A's appliance without pairing there; a
 * removal on one device removes the friend on the other; only a list signed by an active device
 * of A counts (a friend's word, or a revoked device's, changes nothing); a revoked device hears
 * nothing more. Three real agents in this process on real PGlite and loopback links.
 */
import { randomBytes } from 'node:crypto';
import { FriendBundleFormat } from '@kith/core/archive/friend-bundle';
import { isKithError } from '@kith/core/errors';
import { signFriendList } from '@kith/core/friend-list';
import { deriveRootKeys } from '@kith/core/identity/derive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import {
  type PhoneApplianceAndFriend,
  startInProcessNode,
  startPhoneApplianceAndFriend,
} from '../../../../test/helpers/in-process-node.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';
import type { PeerSession } from '../../src/peer/peer-session.ts';
import { restoreFriends } from '../../src/peer/restore-friends.ts';
import { unfriend } from '../../src/peer/unfriend.ts';
import { buildFriendBundle } from '../../src/archive/friend-bundle-source.ts';

/** A's devices get their keystores from the helper; the friend makes its own identity. */
function start(dir: string, host: string): Promise<RunningNode> {
  return runNode({
    flags: { data: dir, host, peerPort: '0', apiPort: '0', heartbeatMeanMs: '2000', logLevel: 'silent' },
    env: { KITH_PORT_WINDOWS: 'off' },
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
  });
}

/** Generous: nodes on PGlite start slowly on a busy machine. */
const WAIT_MS = 120_000;
const someUser = () => deriveRootKeys(new Uint8Array(randomBytes(64))).userId;

/** A session as the receiving side sees it: only who is behind it matters here. */
function sessionOf(node: RunningNode): PeerSession {
  return {
    userId: node.node.userId,
    deviceId: node.node.deviceId,
    send: () => true,
  } as unknown as PeerSession;
}

describe('the friend list across own devices', () => {
  let s: PhoneApplianceAndFriend;

  beforeAll(async () => {
    const dir = await makeTempDir('kith-friend-list-');
    s = await startPhoneApplianceAndFriend({
      dir,
      hosts: ['127.0.0.151', '127.0.0.152', '127.0.0.153'],
      start,
      startFriend: (d, host) => startInProcessNode(d, host, { heartbeatMeanMs: 2000 }),
    });
  }, 4 * WAIT_MS);

  afterAll(async () => {
    await Promise.all([s?.phone, s?.appliance, s?.friend].map((n) => n?.shutdown()));
  });

  it(
    'a friend confirmed on the phone is a friend of the appliance: admitted, linked, no second pairing',
    async () => {
      const { phone, appliance, friend } = s;
      await waitFor(
        'the appliance counts the friend as a friend',
        async () => appliance.node.friends.isFriend(friend.node.userId),
        WAIT_MS,
      );
      // Linked both ways around: the appliance admits the friend's device (and the friend A's).
      await waitFor(
        'the appliance and the friend linked',
        async () =>
          appliance.node.session(friend.node.deviceId) !== undefined &&
          friend.node.session(appliance.node.deviceId) !== undefined,
        WAIT_MS,
      );
      expect((await appliance.node.friendList.entryOf(friend.node.userId))?.state).toBe('friend');
      expect(await phone.node.friends.isFriend(friend.node.userId)).toBe(true);
    },
    2 * WAIT_MS,
  );

  it(
    'only an active device of our own user writes the list: a friend cannot add to it',
    async () => {
      const { phone, appliance, friend } = s;
      const stranger = someUser();
      // The friend signs a list of its own naming a stranger, and sends it as if to its own device.
      const byFriend = signFriendList(friend.node.options.device.keys.signing, {
        user: friend.node.userId,
        issuedAt: Date.now(),
        entries: [{ user: stranger, state: 'friend', at: Date.now() }],
      });
      await phone.node.friendList.onFriendList(sessionOf(friend), { v: 1, t: 'friend-list', list: byFriend });
      // Even a list signed by one of our devices does not count when a friend's link carries it.
      const byAppliance = signFriendList(appliance.node.options.device.keys.signing, {
        user: phone.node.userId,
        issuedAt: Date.now(),
        entries: [{ user: stranger, state: 'friend', at: Date.now() }],
      });
      await phone.node.friendList.onFriendList(sessionOf(friend), {
        v: 1,
        t: 'friend-list',
        list: byAppliance,
      });
      expect(await phone.node.friends.isFriend(stranger)).toBe(false);
      expect(await phone.node.friendList.entryOf(stranger)).toBeUndefined();
      // From our own device it counts (so the refusals above are about who sent it).
      await phone.node.friendList.onFriendList(sessionOf(appliance), {
        v: 1,
        t: 'friend-list',
        list: byAppliance,
      });
      expect(await phone.node.friends.isFriend(stranger)).toBe(true);
      // A tombstone stamped later takes the stranger off again.
      await phone.node.friendList.onFriendList(sessionOf(appliance), {
        v: 1,
        t: 'friend-list',
        list: signFriendList(appliance.node.options.device.keys.signing, {
          user: phone.node.userId,
          issuedAt: Date.now(),
          entries: [{ user: stranger, state: 'removed', at: Date.now() + 1000 }],
        }),
      });
      expect(await phone.node.friends.isFriend(stranger)).toBe(false);
      // Unfriended (blocked) before the list existed: an older addition does not bring them back.
      const blockedBefore = someUser();
      await phone.node.friends.block(blockedBefore);
      await phone.node.friendList.onFriendList(sessionOf(appliance), {
        v: 1,
        t: 'friend-list',
        list: signFriendList(appliance.node.options.device.keys.signing, {
          user: phone.node.userId,
          issuedAt: Date.now(),
          entries: [{ user: blockedBefore, state: 'friend', at: Date.now() - 60_000 }],
        }),
      });
      expect(await phone.node.friends.isFriend(blockedBefore)).toBe(false);
    },
    WAIT_MS,
  );

  it(
    'a revoked device neither writes the list nor receives it',
    async () => {
      const { phone, appliance, friend, phrase } = s;
      await phone.node.revokeDevice(appliance.node.deviceId, phrase);
      await waitFor(
        'the phone has no link to the revoked appliance',
        async () => phone.node.session(appliance.node.deviceId) === undefined,
        WAIT_MS,
      );
      // Its signature no longer counts, even over a link of our own user.
      const late = someUser();
      await phone.node.friendList.onFriendList(sessionOf(appliance), {
        v: 1,
        t: 'friend-list',
        list: signFriendList(appliance.node.options.device.keys.signing, {
          user: phone.node.userId,
          issuedAt: Date.now(),
          entries: [{ user: late, state: 'friend', at: Date.now() }],
        }),
      });
      expect(await phone.node.friends.isFriend(late)).toBe(false);
      // The phone ends the friendship; the revoked appliance is not told.
      await unfriend(phone.node, friend.node.userId);
      expect((await phone.node.friendList.entryOf(friend.node.userId))?.state).toBe('removed');
      await waitFor(
        'the friend’s link to the phone is gone',
        async () => phone.node.session(friend.node.deviceId) === undefined,
        WAIT_MS,
      );
      expect(phone.node.session(appliance.node.deviceId)).toBeUndefined();
      expect(await appliance.node.friends.isFriend(friend.node.userId)).toBe(true);
      expect((await appliance.node.friendList.entryOf(friend.node.userId))?.state).toBe('friend');
    },
    2 * WAIT_MS,
  );
});

describe('a removal on one own device', () => {
  let s: PhoneApplianceAndFriend;

  beforeAll(async () => {
    const dir = await makeTempDir('kith-friend-list-removal-');
    s = await startPhoneApplianceAndFriend({
      dir,
      hosts: ['127.0.0.154', '127.0.0.155', '127.0.0.156'],
      start,
      startFriend: (d, host) => startInProcessNode(d, host, { heartbeatMeanMs: 2000 }),
    });
  }, 4 * WAIT_MS);

  afterAll(async () => {
    await Promise.all([s?.phone, s?.appliance, s?.friend].map((n) => n?.shutdown()));
  });

  it(
    'the friend bundle: built with the friend’s log and records; restored only when a device of ours signed its list',
    async () => {
      const { phone, appliance, friend } = s;
      await waitFor(
        'the appliance counts the friend as a friend',
        async () => appliance.node.friends.isFriend(friend.node.userId),
        WAIT_MS,
      );
      await waitFor(
        'the phone knows the friend’s address record',
        async () => (await phone.node.addresses.get(friend.node.deviceId)) !== undefined,
        WAIT_MS,
      );
      const built = await buildFriendBundle(phone.node);
      expect(built?.bundle.friends.map((f) => f.user)).toEqual([friend.node.userId]);
      expect(built?.bundle.friends[0]?.addresses).toHaveLength(1);
      const restored = await restoreFriends(appliance.node, FriendBundleFormat.encode(built!.bundle));
      expect(restored).toEqual({ friends: 1, added: [] });
      // A list the friend signed (naming a stranger) is no list of ours: refused, nothing added.
      const stranger = someUser();
      const forged = signFriendList(friend.node.options.device.keys.signing, {
        user: friend.node.userId,
        issuedAt: Date.now(),
        entries: [{ user: stranger, state: 'friend', at: Date.now() }],
      });
      const err = await restoreFriends(
        appliance.node,
        FriendBundleFormat.encode({ v: 1, list: forged, friends: [] }),
      ).catch((e: unknown) => e);
      expect(isKithError(err, 'INVALID_INPUT')).toBe(true);
      expect(await appliance.node.friends.isFriend(stranger)).toBe(false);
    },
    2 * WAIT_MS,
  );

  it(
    'removes the friend on every own device: unlinked and blocked there too',
    async () => {
      const { phone, appliance, friend } = s;
      await waitFor(
        'the appliance counts the friend as a friend',
        async () => appliance.node.friends.isFriend(friend.node.userId),
        WAIT_MS,
      );
      await unfriend(appliance.node, friend.node.userId);
      await waitFor(
        'the phone dropped the friend',
        async () => !(await phone.node.friends.isFriend(friend.node.userId)),
        WAIT_MS,
      );
      expect(await phone.node.friends.isBlocked(friend.node.userId)).toBe(true);
      await waitFor(
        'no link between the phone and the friend',
        async () => phone.node.session(friend.node.deviceId) === undefined,
        WAIT_MS,
      );
    },
    2 * WAIT_MS,
  );
});
