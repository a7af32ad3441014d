import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../src/codec.ts';
import {
  FriendListFormat,
  MAX_FRIEND_ENTRIES,
  entryWins,
  normaliseFriendEntries,
  signFriendList,
  verifyFriendList,
} from '../src/friend-list.ts';
import { deriveDeviceKeys, deriveRootKeys } from '../src/identity/derive.ts';
import { signWithLabel } from '../src/signing.ts';
import { SIG } from '../src/labels.ts';
import { FriendListMessage } from '../src/wire/friend-list.ts';
import { decodeMessage } from '../src/wire/message.ts';
import { codeOf } from './helpers/code-of.ts';
import fixture from './vectors/kith-friend-list.json' with { type: 'json' };
import { defaultBackend, fromHex, toHex } from '../src/crypto/index.ts';

const seed = new Uint8Array(64).fill(7);
const device = deriveDeviceKeys(seed, 0).signing;
const user = deriveRootKeys(seed).userId;
const userAt = (i: number) => deriveRootKeys(new Uint8Array(64).fill(i)).userId;

describe('friend list', () => {
  it('matches the v1 fixture byte for byte, and reads it back', () => {
    const seed7 = fromHex(fixture.deviceSeed);
    const key = { seed: seed7, publicKey: defaultBackend().ed25519PublicKey(seed7) };
    const list = fixture.list as {
      user: string;
      issuedAt: number;
      entries: { user: string; state: 'friend' | 'removed'; at: number }[];
    };
    expect(toHex(signFriendList(key, list))).toBe(fixture.v1);
    const read = verifyFriendList(fromHex(fixture.v1));
    expect(read.userId).toBe(list.user);
    expect(read.entries).toEqual(normaliseFriendEntries(list.entries));
  });

  it('signs and verifies; names the signing device', () => {
    const bytes = signFriendList(device, {
      user,
      issuedAt: 5,
      entries: [
        { user: userAt(1), state: 'friend', at: 10 },
        { user: userAt(2), state: 'removed', at: 11 },
      ],
    });
    const list = verifyFriendList(bytes);
    expect(list.userId).toBe(user);
    expect(list.signerId).toBe(deriveDeviceKeys(seed, 0).deviceId);
    expect(list.entries).toHaveLength(2);
    const msg = { v: 1, t: 'friend-list' as const, list: bytes };
    expect(decodeMessage(FriendListMessage.encode(msg), [FriendListMessage])).toEqual(msg);
  });

  it('merges per user: the higher stamp wins, a tie goes to the removal', () => {
    const a = { user: userAt(1), state: 'friend' as const, at: 10 };
    expect(entryWins({ ...a, at: 11 }, a)).toBe(true);
    expect(entryWins({ ...a, at: 9, state: 'removed' }, a)).toBe(false);
    expect(entryWins({ ...a, state: 'removed' }, a)).toBe(true);
    expect(entryWins(a, { ...a, state: 'removed' })).toBe(false);
    expect(normaliseFriendEntries([a, { ...a, state: 'removed', at: 12 }, { ...a, at: 11 }])).toEqual([
      { ...a, state: 'removed', at: 12 },
    ]);
  });

  it('refuses another signature, a repeated user, and past the cap drops the oldest tombstones', () => {
    const bytes = signFriendList(device, { user, issuedAt: 1, entries: [] });
    const other = deriveDeviceKeys(seed, 1).signing;
    const outer = FriendListFormat.outer.decode(bytes);
    const forged = FriendListFormat.outer.encode({
      ...outer,
      sig: signWithLabel(SIG.FRIEND_LIST, outer.body, other.seed),
    });
    expect(codeOf(() => verifyFriendList(forged))).toBe('CRYPTO_BAD_SIGNATURE');
    const twice = FriendListFormat.body.encode({
      v: 1,
      user,
      device: device.publicKey,
      issuedAt: 1,
      entries: [
        { user: userAt(1), state: 'friend', at: 1 },
        { user: userAt(1), state: 'removed', at: 2 },
      ],
    });
    const signedTwice = FriendListFormat.outer.encode({
      v: 1,
      body: twice,
      sig: signWithLabel(SIG.FRIEND_LIST, twice, device.seed),
    });
    expect(codeOf(() => verifyFriendList(signedTwice))).toBe('CODEC_SCHEMA');
    const many = Array.from({ length: MAX_FRIEND_ENTRIES + 5 }, (_, i) => ({
      user: `${i}`,
      state: (i === 0 ? 'friend' : 'removed') as 'friend' | 'removed',
      at: i,
    }));
    const kept = normaliseFriendEntries(many);
    expect(kept).toHaveLength(MAX_FRIEND_ENTRIES);
    expect(kept.map((e) => e.user)).toContain('0');
    expect(kept.map((e) => e.user)).not.toContain('1');
    expect(
      codeOf(() =>
        FriendListMessage.decode(
          encodeCanonical({ v: 1, t: 'friend-list', list: new Uint8Array(70 * 1024) }),
        ),
      ),
    ).toBe('CODEC_SCHEMA');
  });
});
