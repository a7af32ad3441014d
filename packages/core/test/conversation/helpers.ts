/** Builders for conversation tests: people with devices, a device registry, genesis shortcuts. */
import type { CanonicalValue } from '../../src/codec.ts';
import { Conversation, type Signer } from '../../src/conversation/conversation.ts';
import {
  createGenesis,
  type Genesis,
  type GenesisInput,
  type IsDeviceOf,
} from '../../src/conversation/genesis.ts';
import type { RandomSource } from '../../src/crypto/backend.ts';
import { setDefaultBackend, toHex } from '../../src/crypto/index.ts';
import { nativeBackend } from '../../src/crypto/native.ts';
import type { SigningKeyPair } from '../../src/identity/derive.ts';
import { userIdFromRootKey } from '../../src/ids.ts';
export { codeOf } from '../helpers/code-of.ts';

// Signing dominates these tests: use node:crypto (both backends agree, see crypto tests).
setDefaultBackend(nativeBackend);

export interface Person extends Signer {
  name: string;
  /** A second device of the same person. */
  device2: SigningKeyPair;
}

function keyPair(fill: number): SigningKeyPair {
  const seed = new Uint8Array(32).fill(fill);
  return { seed, publicKey: nativeBackend.ed25519PublicKey(seed) };
}

export function person(name: string, n: number): Person {
  const root = keyPair(n);
  return {
    name,
    userId: userIdFromRootKey(root.publicKey),
    device: keyPair(100 + n),
    device2: keyPair(200 + n),
  };
}

export const alice = person('alice', 1);
export const bob = person('bob', 2);
export const carol = person('carol', 3);
export const dave = person('dave', 4);
export const erin = person('erin', 5);
export const mallory = person('mallory', 6);
export const everyone = [alice, bob, carol, dave, erin, mallory];

/** The identity logs' answer, for these people and their two devices each. */
export const isDeviceOf: IsDeviceOf = (userId, key) => {
  const p = everyone.find((x) => x.userId === userId);
  const hex = toHex(key);
  return p !== undefined && (toHex(p.device.publicKey) === hex || toHex(p.device2.publicKey) === hex);
};

/** Deterministic "randomness" for nonces: a counter. */
export function counterRandom(start = 0): RandomSource {
  let n = start;
  return (length) => {
    n++;
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = (n >> (8 * (i % 4))) & 0xff;
    return out;
  };
}

export const T0 = 1_700_000_000_000;

export function genesisOf(
  over: Partial<GenesisInput> = {},
  creator: Person = alice,
  random = counterRandom(),
): Genesis {
  return createGenesis(
    {
      topic: 'Where do we go on Saturday?',
      creator: creator.userId,
      members: [alice.userId, bob.userId, carol.userId],
      pattern: 'proposal',
      consensus: { method: 'majority' },
      createdAt: T0,
      ...over,
    },
    creator.device,
    random,
  );
}

export function conversationOf(over: Partial<GenesisInput> = {}, creator: Person = alice): Conversation {
  return new Conversation(genesisOf(over, creator), { isDeviceOf });
}

export const vote = (ballot: CanonicalValue) => ({ ballot });

/** The KithError code `f` throws, or undefined; rethrows anything else. */
