/**
 * The device's relay keys (docs/SECURITY.md "Locked relay mode"): what a locked device may hold
 * in clear, because nothing addressed to this user is ever sealed to them.
 *
 *   DATA/keys/relay.key  RelayKeyFile v1 = { v, deviceId, linkPrivateKey, relaySeed }, 0600
 *
 * linkPrivateKey is the X25519 static key of the device's Noise links; relaySeed the Ed25519
 * seed of its storage receipts. Both are certified by the device key in its address record v2.
 * Only devices whose key file is under a passphrase have one (the others hold every key in
 * clear already).
 */
import { readFile } from 'node:fs/promises';
import { defaultBackend } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { defineFormat } from '@kith/core/format';
import { Type } from '@sinclair/typebox';
import { writeFileAtomic } from './atomic-write.ts';

const Key32 = Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 });

export const RelayKeyFileFormat = defineFormat(
  'relay-key-file',
  1,
  512,
  Type.Object(
    { v: Type.Literal(1), deviceId: Type.String({ maxLength: 40 }), linkPrivateKey: Key32, relaySeed: Key32 },
    { additionalProperties: false },
  ),
);

export interface RelayKeyPairs {
  /** X25519: the static key of this device's links. */
  readonly link: { privateKey: Uint8Array; publicKey: Uint8Array };
  /** Ed25519: signs this device's storage receipts. */
  readonly signing: { seed: Uint8Array; publicKey: Uint8Array };
}

function pairsOf(linkPrivateKey: Uint8Array, relaySeed: Uint8Array): RelayKeyPairs {
  const b = defaultBackend();
  return {
    link: { privateKey: linkPrivateKey, publicKey: b.x25519PublicKey(linkPrivateKey) },
    signing: { seed: relaySeed, publicKey: b.ed25519PublicKey(relaySeed) },
  };
}

/** The relay keys of `deviceId` at `path`, or undefined when there is no file. */
export async function readRelayKeys(path: string, deviceId: string): Promise<RelayKeyPairs | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KithError('FILE_UNREADABLE', `${path}: ${(e as Error).message}`);
  }
  return parseRelayKeyFile(bytes, deviceId, path);
}

/**
 * The relay key file's bytes to its key pairs, without file I/O (fuzzed on its own, docs/SECURITY.md
 * "Fuzzing"): KEYSTORE_CORRUPT when they do not decode or belong to another device. `name`
 * (the file's path) is only for the message.
 */
export function parseRelayKeyFile(bytes: Uint8Array, deviceId: string, name: string): RelayKeyPairs {
  let f: ReturnType<typeof RelayKeyFileFormat.decode>;
  try {
    f = RelayKeyFileFormat.decode(bytes);
  } catch (cause) {
    throw new KithError('KEYSTORE_CORRUPT', `${name} cannot be read.`, { cause });
  }
  if (f.deviceId !== deviceId) {
    throw new KithError('KEYSTORE_CORRUPT', `${name} belongs to another device.`);
  }
  return pairsOf(f.linkPrivateKey, f.relaySeed);
}

/** Makes fresh relay keys for `deviceId` and writes them (0600, atomically). */
export async function createRelayKeys(
  path: string,
  deviceId: string,
  random: (n: number) => Uint8Array,
): Promise<RelayKeyPairs> {
  const linkPrivateKey = random(32);
  const relaySeed = random(32);
  await writeFileAtomic(
    path,
    RelayKeyFileFormat.encode({ v: 1, deviceId, linkPrivateKey, relaySeed }),
    0o600,
  );
  return pairsOf(linkPrivateKey, relaySeed);
}
