/**
 * Who is who, for conversations: which device signing keys a user ever certified (any status:
 * docs/CONSENSUS.md "Events, the DAG and the canonical order" — an event signed before a
 * revocation stays valid, or every later event would miss a parent), and who is a friend.
 * The conversation model asks synchronously, so the answers are read from the identity
 * repository into a snapshot before each operation.
 */
import type { IsDeviceOf } from '@kith/core/conversation/index';
import { toHex } from '@kith/core/crypto/index';
import type { FriendRepository } from '../repositories/friend-repository.ts';
import type { IdentityRepository } from '../repositories/identity-repository.ts';

export interface DeviceDirectory {
  /** A fresh snapshot of "this device key was ever certified by this user". */
  snapshot(): Promise<IsDeviceOf>;
  isFriend(userId: string): Promise<boolean>;
}

export function repositoryDirectory(
  identity: IdentityRepository,
  friends: FriendRepository,
): DeviceDirectory {
  return {
    async snapshot() {
      const keys = new Map<string, Set<string>>();
      for (const d of await identity.allDevices()) {
        let set = keys.get(d.userId);
        if (set === undefined) {
          set = new Set();
          keys.set(d.userId, set);
        }
        set.add(toHex(d.signingPublicKey));
      }
      return (userId, key) => keys.get(userId)?.has(toHex(key)) === true;
    },
    isFriend: (userId) => friends.isFriend(userId),
  };
}
