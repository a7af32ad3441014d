/**
 * The device keyring and relay key file (docs/SECURITY.md "Locked relay mode"): a key file under
 * a passphrase opened without it is locked (ids and relay keys only; device keys and storage key
 * throw NODE_LOCKED); relay keys are made at the first unlocked open and never without the
 * passphrase; a key file without a passphrase has none and cannot be locked.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKithError } from '@kith/core/errors';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { createGenesis } from '@kith/core/identity/log';
import { describe, expect, it } from 'vitest';
import { DeviceKeyring, relayKeyPath } from '../../src/keystore/device-keyring.ts';
import { createKeystore } from '../../src/keystore/index.ts';
import { RelayKeyFileFormat, readRelayKeys } from '../../src/keystore/relay-key-file.ts';

const FAST = { N: 2 ** 14, r: 8, p: 1 };

/** RelayKeyFile v1 as first written: never regenerated in place. */
const RELAY_KEY_FILE_V1 =
  'a4617601686465766963654964781d61626364652d666768696a2d6b6c6d6e6f2d70717273742d75767778796972656c617953656564582002020202020202020202020202020202020202020202020202020202020202026e6c696e6b507269766174654b657958200101010101010101010101010101010101010101010101010101010101010101';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isKithError(e)) return e.code;
    throw e;
  }
  return undefined;
}

async function keystore(passphrase?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kith-keyring-'));
  const seed = new Uint8Array(randomBytes(64));
  const root = deriveRootKeys(seed);
  await createKeystore({
    dataDir: dir,
    userId: root.userId,
    device: deriveDeviceKeys(seed, 0),
    logEntries: [createGenesis(root)],
    ...(passphrase ? { passphrase, scryptParams: FAST } : {}),
  });
  return dir;
}

describe('device keyring', () => {
  it('reads the relay key file fixture (v1)', () => {
    const f = RelayKeyFileFormat.decode(new Uint8Array(Buffer.from(RELAY_KEY_FILE_V1, 'hex')));
    expect(f.deviceId).toBe('abcde-fghij-klmno-pqrst-uvwxy');
    expect(f.linkPrivateKey).toEqual(new Uint8Array(32).fill(1));
    expect(f.relaySeed).toEqual(new Uint8Array(32).fill(2));
  });

  it('without the passphrase: locked, no relay keys made, keys closed', async () => {
    const dir = await keystore('pw');
    const k = await DeviceKeyring.open(dir, undefined);
    expect(k.locked).toBe(true);
    expect(k.relay).toBeUndefined();
    expect(await readRelayKeys(relayKeyPath(dir), k.header.deviceId)).toBeUndefined();
    expect(codeOf(() => k.keys)).toBe('NODE_LOCKED');
    expect(codeOf(() => k.storageKey)).toBe('NODE_LOCKED');
  });

  it('with the passphrase: relay keys made once (0600), kept across opens, usable locked', async () => {
    const dir = await keystore('pw');
    const first = await DeviceKeyring.open(dir, 'pw');
    expect(first.locked).toBe(false);
    expect(first.relay).toBeDefined();
    expect((await stat(relayKeyPath(dir))).mode & 0o777).toBe(0o600);
    // The relay keys are not the device keys.
    expect(first.relay!.link.publicKey).not.toEqual(first.keys.agreement.publicKey);
    expect(first.relay!.signing.publicKey).not.toEqual(first.keys.signing.publicKey);
    const locked = await DeviceKeyring.open(dir, undefined);
    expect(locked.locked).toBe(true);
    expect(locked.relay!.link.publicKey).toEqual(first.relay!.link.publicKey);
    await locked.unlock('pw');
    expect(locked.keys.signing.publicKey).toEqual(first.keys.signing.publicKey);
    locked.lock();
    expect(codeOf(() => locked.storageKey)).toBe('NODE_LOCKED');
    await expect(locked.unlock('wrong')).rejects.toMatchObject({ code: 'KEYSTORE_BAD_PASSPHRASE' });
    expect(locked.locked).toBe(true);
  });

  it('without a passphrase on the key file: open, no relay keys, cannot be locked', async () => {
    const dir = await keystore();
    const k = await DeviceKeyring.open(dir, undefined);
    expect(k.locked).toBe(false);
    expect(k.relay).toBeUndefined();
    expect(codeOf(() => k.lock())).toBe('INVALID_INPUT');
  });
});
