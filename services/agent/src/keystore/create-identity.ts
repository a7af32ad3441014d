/**
 * The one way a data dir gets a new identity (`kith init`, the zero-config start of `kith up`
 * and `kith agent`, tests): a phrase (fresh unless a seed is given) -> seed -> root -> genesis
 * -> device 0 enrolled -> keystore, encrypted under the unlock passphrase when one is given.
 * The phrase is returned (never logged); `savePhrase` runs before the keys are written, so a
 * phrase that cannot be kept leaves no identity behind that nobody could recover.
 */
import type { RandomSource } from '@kith/core/crypto/index';
import type { DeviceKeys } from '@kith/core/identity/derive';
import type { LogState } from '@kith/core/identity/log';
import { newIdentity } from '@kith/core/identity/new-identity';
import { generatePhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { createKeystore, type UnlockedDevice } from './index.ts';

export interface CreateIdentityOptions {
  dataDir: string;
  deviceName: string;
  userName?: string | undefined;
  /** Encrypts the device keys at rest (absent: no unlock passphrase). */
  passphrase?: string | undefined;
  /** The optional BIP39 passphrase ("25th word") of a fresh phrase. */
  bip39Passphrase?: string | undefined;
  /** Makes the fresh phrase. */
  random: RandomSource;
  /** A known seed instead of a fresh phrase (tests); no phrase is returned then. */
  seed?: Uint8Array;
  /** Keeps the phrase (a file, the screen) before the keys are written. */
  savePhrase?: (phrase: string) => Promise<void>;
  now?: number;
  scryptParams?: { N: number; r: number; p: number };
}

export interface CreatedIdentity {
  /** The fresh seed phrase; undefined when a seed was given. */
  phrase: string | undefined;
  userId: string;
  device: DeviceKeys;
  log: LogState;
  unlocked: UnlockedDevice;
}

export async function createIdentity(options: CreateIdentityOptions): Promise<CreatedIdentity> {
  const phrase = options.seed === undefined ? generatePhrase(options.random) : undefined;
  const seed = options.seed ?? phraseToSeed(phrase!, options.bip39Passphrase ?? '');
  const { root, device, log } = newIdentity(seed, {
    deviceName: options.deviceName,
    userName: options.userName,
    now: options.now ?? Date.now(),
  });
  if (phrase !== undefined) await options.savePhrase?.(phrase);
  const unlocked = await createKeystore({
    dataDir: options.dataDir,
    userId: root.userId,
    device,
    logEntries: log.entries,
    ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    ...(options.scryptParams ? { scryptParams: options.scryptParams } : {}),
  });
  return { phrase, userId: root.userId, device, log, unlocked };
}
