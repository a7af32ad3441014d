/**
 * The friend bundle (docs/PROTOCOL.md §9 "Friends after a recovery"): what a device recovering
 * from the phrase needs to reach every friend again — the user's signed friend list, and per
 * friend that user's identity log and latest signed address records. Archived as one item of
 * its own kind, sealed t = 1 to the owner's active devices and the recovery key (like the
 * history index), so the phrase alone opens it. The parts stay signed by their authors: the
 * reader verifies each one as if it came over a link, so the bundle adds no trust of its own.
 */
import { Type } from '@sinclair/typebox';
import { defineFormat } from '../format.ts';
import { MAX_FRIEND_ENTRIES } from '../friend-list.ts';

/** Entries of one friend's log; a longer log is left out of the bundle (the friend is then reached by invite). */
export const FRIEND_BUNDLE_MAX_LOG_ENTRIES = 256;
/** One log entry at most (as the log-entries message bounds it). */
const LOG_ENTRY_MAX_BYTES = 2200;
/** Address records kept per friend (one per device, newest first). */
export const FRIEND_BUNDLE_MAX_ADDRESSES = 16;
const ADDRESS_RECORD_MAX_BYTES = 4 * 1024;
/** The whole bundle: within an envelope's plaintext, so a hostile size never reaches a holder. */
export const FRIEND_BUNDLE_MAX_BYTES = 4 * 1024 * 1024;

const IdString = Type.String({ pattern: '^[0-9a-hjkmnp-tv-z]{5}(-[0-9a-hjkmnp-tv-z]{5}){4}$' });

export const FriendBundleFormat = defineFormat(
  'archive-friend-bundle',
  1,
  FRIEND_BUNDLE_MAX_BYTES,
  Type.Object(
    {
      v: Type.Literal(1),
      /** The signed friend list (friend-list.ts), as its signer wrote it. */
      list: Type.Uint8Array({ minByteLength: 1, maxByteLength: 64 * 1024 }),
      friends: Type.Array(
        Type.Object(
          {
            user: IdString,
            /** The friend's identity log: its root-signed entries, in order. */
            log: Type.Array(Type.Uint8Array({ minByteLength: 1, maxByteLength: LOG_ENTRY_MAX_BYTES }), {
              minItems: 1,
              maxItems: FRIEND_BUNDLE_MAX_LOG_ENTRIES,
            }),
            /** The friend's devices' signed address records. */
            addresses: Type.Array(
              Type.Uint8Array({ minByteLength: 1, maxByteLength: ADDRESS_RECORD_MAX_BYTES }),
              {
                maxItems: FRIEND_BUNDLE_MAX_ADDRESSES,
              },
            ),
          },
          { additionalProperties: false },
        ),
        { maxItems: MAX_FRIEND_ENTRIES },
      ),
    },
    { additionalProperties: false },
  ),
);

export type FriendBundle = ReturnType<typeof FriendBundleFormat.decode>;
