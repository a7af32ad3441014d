/**
 * The device's keys as a running agent holds them (docs/SECURITY.md "Locked relay mode"). A
 * device whose key file is under a passphrase and was started without it is *locked*: only the
 * header (ids) and the relay keys are in memory, and any use of the device keys or the storage
 * key throws KEYSTORE_LOCKED. `unlock` opens the key file; `lock` drops the keys again.
 *
 * It has the shape of UnlockedDevice, so the parts that only ever run unlocked read it as
 * before; the parts that also run locked ask `locked` first.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { KithError } from '@kith/core/errors';
import type { DeviceKeys } from '@kith/core/identity/derive';
import { type KeyFileHeader, type UnlockedDevice, dataPaths, readHeader, unlock } from './index.ts';
import { type RelayKeyPairs, createRelayKeys, readRelayKeys } from './relay-key-file.ts';

export const relayKeyPath = (dataDir: string) => join(dataPaths(dataDir).root, 'keys', 'relay.key');

export class DeviceKeyring implements UnlockedDevice {
  private unlocked: UnlockedDevice | undefined;

  private constructor(
    private readonly dataDir: string,
    readonly header: KeyFileHeader,
    /** Present when the key file is under a passphrase; made at its first open. */
    readonly relay: RelayKeyPairs | undefined,
  ) {}

  /**
   * Opens the keystore: unlocked with the passphrase (or without one, when the key file has
   * none); locked when it is under a passphrase and none was given.
   */
  static async open(dataDir: string, passphrase: string | undefined): Promise<DeviceKeyring> {
    const header = await readHeader(dataDir);
    const device =
      header.protection === 'none' || passphrase !== undefined
        ? await unlock(dataDir, passphrase)
        : undefined;
    let relay: RelayKeyPairs | undefined;
    if (header.protection === 'passphrase') {
      const path = relayKeyPath(dataDir);
      relay = await readRelayKeys(path, header.deviceId);
      // Made while unlocked only: the device key must certify it before it is of use.
      if (!relay && device)
        relay = await createRelayKeys(path, header.deviceId, (n) => new Uint8Array(randomBytes(n)));
    }
    const keyring = new DeviceKeyring(dataDir, header, relay);
    keyring.unlocked = device;
    return keyring;
  }

  get locked(): boolean {
    return this.unlocked === undefined;
  }

  get keys(): DeviceKeys {
    return this.open().keys;
  }

  get storageKey(): Uint8Array {
    return this.open().storageKey;
  }

  private open(): UnlockedDevice {
    if (!this.unlocked) throw new KithError('NODE_LOCKED');
    return this.unlocked;
  }

  /** Opens the key file with the passphrase; a wrong one throws KEYSTORE_BAD_PASSPHRASE. */
  async unlock(passphrase: string): Promise<void> {
    if (this.unlocked) return;
    this.unlocked = await unlock(this.dataDir, passphrase);
  }

  /** Forgets the device keys (a key file without a passphrase cannot be locked). */
  lock(): void {
    if (this.header.protection === 'none') {
      throw new KithError('INVALID_INPUT', 'This device’s keys have no passphrase, so it cannot be locked.');
    }
    this.unlocked = undefined;
  }
}
