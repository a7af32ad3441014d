/**
 * The friend list (docs/PROTOCOL.md "Friend list"): a user's friends belong to the user, not to
 * the device that paired, so the user's own devices keep one list in sync over their links. It is
 * a set with tombstones: one entry per user, `friend` or `removed`, stamped `at` (a hybrid clock:
 * never below any stamp the device has seen, so a removal made after seeing an addition wins).
 * Merging keeps, per user, the entry with the higher stamp; on a tie `removed` wins. Signed by an
 * active device of the user (the reader checks that against its own identity log): a friend
 * cannot add to it, nor can a revoked device.
 */
import { Type } from '@sinclair/typebox';
import type { CryptoBackend } from './crypto/backend.ts';
import { defaultBackend } from './crypto/index.ts';
import { KithError } from './errors.ts';
import { type DeviceId, type UserId, deviceIdFromSigningKey } from './ids.ts';
import { SIG } from './labels.ts';
import { defineSignedFormat } from './signed-format.ts';

/** Entries (friends and tombstones) one list carries; the oldest tombstones go first past it. */
export const MAX_FRIEND_ENTRIES = 1024;
/** A user id as written (ids.ts): five groups of five Crockford characters. */
const IdString = Type.String({ pattern: '^[0-9a-hjkmnp-tv-z]{5}(-[0-9a-hjkmnp-tv-z]{5}){4}$' });

export type FriendState = 'friend' | 'removed';

export interface FriendEntry {
  readonly user: string;
  readonly state: FriendState;
  /** Milliseconds, hybrid: max(clock, highest stamp seen + 1) at the device that made it. */
  readonly at: number;
}

export const FriendListFormat = defineSignedFormat(
  'friend-list',
  1,
  64 * 1024,
  Type.Object(
    {
      v: Type.Literal(1),
      user: IdString,
      device: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
      issuedAt: Type.Integer({ minimum: 0 }),
      entries: Type.Array(
        Type.Object(
          {
            user: IdString,
            state: Type.Union([Type.Literal('friend'), Type.Literal('removed')]),
            at: Type.Integer({ minimum: 0 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: MAX_FRIEND_ENTRIES },
      ),
    },
    { additionalProperties: false },
  ),
  SIG.FRIEND_LIST,
);

export interface FriendList {
  readonly userId: UserId;
  /** The device that signed it; the reader must check it is an active device of `userId`. */
  readonly signerId: DeviceId;
  readonly signingKey: Uint8Array;
  readonly issuedAt: number;
  readonly entries: FriendEntry[];
  readonly bytes: Uint8Array;
}

/** Whether `a` wins over `b` for the same user (higher stamp; on a tie the removal). */
export function entryWins(a: FriendEntry, b: FriendEntry | undefined): boolean {
  if (b === undefined) return true;
  if (a.at !== b.at) return a.at > b.at;
  return a.state === 'removed' && b.state === 'friend';
}

/**
 * One entry per user, sorted by user id, so equal sets sign equal bodies. Past the cap the
 * oldest tombstones are dropped (friends never are: more than the cap is refused).
 */
export function normaliseFriendEntries(entries: readonly FriendEntry[]): FriendEntry[] {
  const best = new Map<string, FriendEntry>();
  for (const e of entries) if (entryWins(e, best.get(e.user))) best.set(e.user, e);
  let out = [...best.values()];
  const friends = out.filter((e) => e.state === 'friend').length;
  if (friends > MAX_FRIEND_ENTRIES) {
    throw new KithError('INVALID_INPUT', `A friend list holds at most ${MAX_FRIEND_ENTRIES} friends.`);
  }
  if (out.length > MAX_FRIEND_ENTRIES) {
    const tombstones = out.filter((e) => e.state === 'removed').sort((a, b) => b.at - a.at);
    const kept = new Set(tombstones.slice(0, MAX_FRIEND_ENTRIES - friends).map((e) => e.user));
    out = out.filter((e) => e.state === 'friend' || kept.has(e.user));
  }
  return out
    .map((e) => ({ user: e.user, state: e.state, at: e.at }))
    .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
}

export function signFriendList(
  device: { seed: Uint8Array; publicKey: Uint8Array },
  list: { user: string; issuedAt: number; entries: readonly FriendEntry[] },
  backend: CryptoBackend = defaultBackend(),
): Uint8Array {
  return FriendListFormat.sign(
    {
      v: 1,
      user: list.user,
      device: device.publicKey,
      issuedAt: list.issuedAt,
      entries: normaliseFriendEntries(list.entries),
    },
    device.seed,
    backend,
  );
}

/** Checks the signature only; whose device signed it is the caller's question (identity log). */
export function verifyFriendList(bytes: Uint8Array, backend: CryptoBackend = defaultBackend()): FriendList {
  const { value: body, verified } = FriendListFormat.open(bytes, (b) => b.device, backend);
  if (!verified) {
    throw new KithError('CRYPTO_BAD_SIGNATURE', 'The friend list is not signed by the device it names.');
  }
  const users = new Set(body.entries.map((e) => e.user));
  if (users.size !== body.entries.length) {
    throw new KithError('CODEC_SCHEMA', 'A friend list names each user once.');
  }
  return {
    userId: body.user as UserId,
    signerId: deviceIdFromSigningKey(body.device, backend),
    signingKey: body.device,
    issuedAt: body.issuedAt,
    entries: body.entries.map((e) => ({ user: e.user, state: e.state, at: e.at })),
    bytes,
  };
}
