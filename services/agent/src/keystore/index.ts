/**
 * The device's keystore in its data directory (docs/DESIGN.md §4, §12):
 *
 *   DATA/keys/device.key      the key file (key-file.ts), 0600
 *   DATA/identity/log.sealed  this user's identity log, sealed under the device storage key
 *   DATA/pending-phrase       a new identity's seed phrase, sealed, only until it is shown once
 *
 * Every write is atomic (atomic-write.ts). Nothing here logs.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decodeCanonical, encodeCanonical } from '@kith/core/codec';
import { defaultBackend } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { defineFormat } from '@kith/core/format';
import type { DeviceKeys } from '@kith/core/identity/derive';
import { deviceIdFromSigningKey } from '@kith/core/ids';
import { Type } from '@sinclair/typebox';
import { writeFileAtomic } from './atomic-write.ts';
import { type KeyFileHeader, openKeyFile, readKeyFileHeader, sealKeyFile } from './key-file.ts';

export { SCRYPT_PARAMS } from './key-file.ts';
export type { KeyFileHeader } from './key-file.ts';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export function dataPaths(dataDir: string) {
  const root = resolve(dataDir);
  return {
    root,
    keyFile: join(root, 'keys', 'device.key'),
    identityLog: join(root, 'identity', 'log.sealed'),
    bootstrap: join(root, 'identity', 'bootstrap.sealed'),
    pendingPhrase: join(root, 'pending-phrase'),
  };
}

export interface UnlockedDevice {
  readonly header: KeyFileHeader;
  readonly keys: DeviceKeys;
  readonly storageKey: Uint8Array;
}

const SealedFileFormat = defineFormat(
  'sealed-state-file',
  1,
  16 * 1024 * 1024,
  Type.Object(
    {
      v: Type.Literal(1),
      name: Type.String({ maxLength: 64 }),
      nonce: Type.Uint8Array({ minByteLength: 24, maxByteLength: 24 }),
      data: Type.Uint8Array(),
    },
    { additionalProperties: false },
  ),
);

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function hasKeystore(dataDir: string): Promise<boolean> {
  return exists(dataPaths(dataDir).keyFile);
}

export async function createKeystore(options: {
  dataDir: string;
  userId: string;
  device: DeviceKeys;
  logEntries: Uint8Array[];
  passphrase?: string;
  scryptParams?: { N: number; r: number; p: number };
}): Promise<UnlockedDevice> {
  const paths = dataPaths(options.dataDir);
  if (await exists(paths.keyFile)) throw new KithError('KEYSTORE_EXISTS');
  await mkdir(paths.root, { recursive: true, mode: 0o700 });
  const header: KeyFileHeader = {
    userId: options.userId,
    deviceId: options.device.deviceId,
    index: options.device.index,
    protection: options.passphrase === undefined ? 'none' : 'passphrase',
  };
  const storageKey = random(32);
  const file = await sealKeyFile(
    header,
    {
      signingSeed: options.device.signing.seed,
      agreementPrivateKey: options.device.agreement.privateKey,
      storageKey,
    },
    options.passphrase,
    random,
    options.scryptParams,
  );
  // The log first: a key file without its log would be a half-made identity.
  await writeSealed(
    paths.identityLog,
    'identity-log',
    storageKey,
    encodeCanonical({ v: 1, entries: options.logEntries }),
  );
  await writeFileAtomic(paths.keyFile, file, 0o600);
  return { header, keys: options.device, storageKey };
}

async function readOrMissing(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new KithError('KEYSTORE_MISSING');
    throw new KithError('FILE_UNREADABLE', `${path}: ${(e as Error).message}`);
  }
}

export async function readHeader(dataDir: string): Promise<KeyFileHeader> {
  return readKeyFileHeader(await readOrMissing(dataPaths(dataDir).keyFile));
}

export async function unlock(dataDir: string, passphrase: string | undefined): Promise<UnlockedDevice> {
  const bytes = await readOrMissing(dataPaths(dataDir).keyFile);
  const header = readKeyFileHeader(bytes);
  // A passphrase for an unprotected file is a mistake to say, not to ignore: the person
  // believes the keys are protected.
  if (header.protection === 'none' && passphrase !== undefined) throw new KithError('KEYSTORE_NOT_PROTECTED');
  const secrets = await openKeyFile(bytes, passphrase);
  const backend = defaultBackend();
  const signingPublic = backend.ed25519PublicKey(secrets.signingSeed);
  if (deviceIdFromSigningKey(signingPublic) !== header.deviceId) {
    throw new KithError('KEYSTORE_CORRUPT', 'The device id does not match the keys.');
  }
  const keys: DeviceKeys = {
    index: header.index,
    deviceId: header.deviceId as DeviceKeys['deviceId'],
    signing: { seed: secrets.signingSeed, publicKey: signingPublic },
    agreement: {
      privateKey: secrets.agreementPrivateKey,
      publicKey: backend.x25519PublicKey(secrets.agreementPrivateKey),
    },
  };
  return { header, keys, storageKey: secrets.storageKey };
}

async function writeSealed(
  path: string,
  name: string,
  key: Uint8Array,
  plaintext: Uint8Array,
): Promise<void> {
  const nonce = random(24);
  const data = defaultBackend().xchacha20poly1305Seal(key, nonce, plaintext, encodeCanonical(name));
  await writeFileAtomic(path, SealedFileFormat.encode({ v: 1, name, nonce, data }), 0o600);
}

async function readSealed(path: string, name: string, key: Uint8Array): Promise<Uint8Array> {
  const bytes = await readOrMissing(path);
  try {
    const f = SealedFileFormat.decode(bytes);
    if (f.name !== name) throw new KithError('KEYSTORE_CORRUPT', `${path} holds ${f.name}, not ${name}.`);
    return defaultBackend().xchacha20poly1305Open(key, f.nonce, f.data, encodeCanonical(name));
  } catch (cause) {
    throw new KithError('KEYSTORE_CORRUPT', `${path} cannot be read.`, { cause });
  }
}

export async function readIdentityLog(dataDir: string, device: UnlockedDevice): Promise<Uint8Array[]> {
  const plain = await readSealed(dataPaths(dataDir).identityLog, 'identity-log', device.storageKey);
  const doc = decodeCanonical(plain) as { v?: number; entries?: unknown };
  if (doc.v !== 1 || !Array.isArray(doc.entries) || !doc.entries.every((e) => e instanceof Uint8Array)) {
    throw new KithError('KEYSTORE_CORRUPT', 'The identity log file has an unknown format.');
  }
  return doc.entries as Uint8Array[];
}

export async function writeIdentityLog(
  dataDir: string,
  device: UnlockedDevice,
  entries: Uint8Array[],
): Promise<void> {
  await writeSealed(
    dataPaths(dataDir).identityLog,
    'identity-log',
    device.storageKey,
    encodeCanonical({ v: 1, entries }),
  );
}

/**
 * What a new device was handed at enrolment or recovery, so its agent knows whom to dial first:
 * signed address records (the inviter's) and, after recovery with a friend's invite, that
 * friend's identity log (the friend to record). The agent imports them at its first start and
 * deletes the file.
 */
export interface Bootstrap {
  records: Uint8Array[];
  friendLogs: Uint8Array[][];
}

export async function writeBootstrap(
  dataDir: string,
  device: UnlockedDevice,
  bootstrap: Bootstrap,
): Promise<void> {
  await writeSealed(
    dataPaths(dataDir).bootstrap,
    'bootstrap',
    device.storageKey,
    encodeCanonical({ v: 1, records: bootstrap.records, friendLogs: bootstrap.friendLogs }),
  );
}

export async function writeBootstrapRecords(
  dataDir: string,
  device: UnlockedDevice,
  records: Uint8Array[],
): Promise<void> {
  await writeBootstrap(dataDir, device, { records, friendLogs: [] });
}

const isBytesList = (x: unknown): x is Uint8Array[] =>
  Array.isArray(x) && x.every((r) => r instanceof Uint8Array);

export async function readBootstrap(dataDir: string, device: UnlockedDevice): Promise<Bootstrap> {
  if (!(await exists(dataPaths(dataDir).bootstrap))) return { records: [], friendLogs: [] };
  const doc = decodeCanonical(
    await readSealed(dataPaths(dataDir).bootstrap, 'bootstrap', device.storageKey),
  ) as { records?: unknown; friendLogs?: unknown };
  return {
    records: isBytesList(doc.records) ? doc.records : [],
    // Files written before recovery existed have no friendLogs.
    friendLogs: Array.isArray(doc.friendLogs) ? doc.friendLogs.filter(isBytesList) : [],
  };
}

export async function removeBootstrap(dataDir: string): Promise<void> {
  await rm(dataPaths(dataDir).bootstrap, { force: true });
}

/**
 * A new identity's seed phrase when no terminal could show it and no --phrase-out file was
 * chosen (docs/SECURITY.md "Keys at rest"): sealed under the storage key, kept only until it is
 * shown once (web UI onboarding or `kith phrase --reveal`).
 */
export async function writePendingPhrase(
  dataDir: string,
  device: UnlockedDevice,
  phrase: string,
): Promise<void> {
  await writeSealed(
    dataPaths(dataDir).pendingPhrase,
    'pending-phrase',
    device.storageKey,
    encodeCanonical(phrase),
  );
}

export async function hasPendingPhrase(dataDir: string): Promise<boolean> {
  return exists(dataPaths(dataDir).pendingPhrase);
}

/** Returns the pending phrase and erases it; PHRASE_NOT_PENDING when there is none. */
export async function takePendingPhrase(dataDir: string, device: UnlockedDevice): Promise<string> {
  const path = dataPaths(dataDir).pendingPhrase;
  // Claimed by a rename first, so two callers at once cannot both be shown it.
  const claimed = `${path}.${Buffer.from(random(8)).toString('hex')}`;
  try {
    await rename(path, claimed);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new KithError('PHRASE_NOT_PENDING');
    throw e;
  }
  try {
    const phrase = decodeCanonical(await readSealed(claimed, 'pending-phrase', device.storageKey));
    if (typeof phrase !== 'string') throw new KithError('KEYSTORE_CORRUPT', `${path} holds no phrase.`);
    return phrase;
  } finally {
    await rm(claimed, { force: true });
  }
}
