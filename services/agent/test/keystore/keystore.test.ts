import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKithError } from '@kith/core/errors';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { createGenesis } from '@kith/core/identity/log';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/keystore/atomic-write.ts';
import {
  createKeystore,
  dataPaths,
  readHeader,
  readIdentityLog,
  unlock,
  writeIdentityLog,
} from '../../src/keystore/index.ts';
import { KeyFileFormat, openKeyFile, sealKeyFile } from '../../src/keystore/key-file.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));
const FAST = { N: 2 ** 14, r: 8, p: 1 };
const seed = new Uint8Array(64).fill(9);
const root = deriveRootKeys(seed);
const device = deriveDeviceKeys(seed, 0);

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (isKithError(e)) return e.code;
    throw e;
  }
  return undefined;
}

const header = {
  userId: root.userId,
  deviceId: device.deviceId,
  index: 0,
  protection: 'passphrase' as const,
};
const secrets = {
  signingSeed: device.signing.seed,
  agreementPrivateKey: device.agreement.privateKey,
  storageKey: new Uint8Array(32).fill(5),
};

describe('key file', () => {
  it('round-trips under any passphrase, and a different passphrase is refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        async (pass, other) => {
          fc.pre(pass.normalize('NFKC') !== other.normalize('NFKC'));
          const file = await sealKeyFile(header, secrets, pass, random, FAST);
          expect(await openKeyFile(file, pass)).toStrictEqual(secrets);
          expect(await codeOf(openKeyFile(file, other))).toBe('KEYSTORE_BAD_PASSPHRASE');
          expect(await codeOf(openKeyFile(file, undefined))).toBe('KEYSTORE_LOCKED');
        },
      ),
      { numRuns: 8 },
    );
  });

  it('does not contain the secrets in clear when protected', async () => {
    const file = Buffer.from(await sealKeyFile(header, secrets, 'pw', random, FAST));
    expect(file.indexOf(Buffer.from(secrets.signingSeed))).toBe(-1);
    expect(file.indexOf(Buffer.from(secrets.agreementPrivateKey))).toBe(-1);
  });

  it('a scrypt N that is not a power of two is a damaged file, not a crash', async () => {
    const f = KeyFileFormat.decode(await sealKeyFile(header, secrets, 'pw', random, FAST));
    const bad = KeyFileFormat.encode({ ...f, kdf: { ...f.kdf!, N: 3 * 2 ** 13 } });
    expect(await codeOf(openKeyFile(bad, 'pw'))).toBe('KEYSTORE_CORRUPT');
  });

  it('any flipped bit is refused, never read as other keys', async () => {
    const file = await sealKeyFile(header, secrets, 'pw', random, FAST);
    await fc.assert(
      fc.asyncProperty(fc.nat(file.length * 8 - 1), async (bit) => {
        const bad = file.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        const code = await codeOf(openKeyFile(bad, 'pw'));
        expect(['KEYSTORE_CORRUPT', 'KEYSTORE_BAD_PASSPHRASE', 'KEYSTORE_LOCKED']).toContain(code);
      }),
      { numRuns: 30 },
    );
  });
});

describe('keystore in a data dir', () => {
  it('creates, unlocks, and rewrites the sealed identity log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kith-ks-'));
    const log = [createGenesis(root)];
    await createKeystore({
      dataDir: dir,
      userId: root.userId,
      device,
      logEntries: log,
      passphrase: 'pw',
      scryptParams: FAST,
    });
    expect((await readHeader(dir)).deviceId).toBe(device.deviceId);
    const unlocked = await unlock(dir, 'pw');
    expect(unlocked.keys.agreement.publicKey).toStrictEqual(device.agreement.publicKey);
    expect(await readIdentityLog(dir, unlocked)).toStrictEqual(log);
    await writeIdentityLog(dir, unlocked, [...log, log[0]!]);
    expect(await readIdentityLog(dir, unlocked)).toHaveLength(2);
    // the log at rest is ciphertext
    const raw = await readFile(dataPaths(dir).identityLog);
    expect(raw.indexOf(Buffer.from(root.root.publicKey))).toBe(-1);
    expect(await codeOf(createKeystore({ dataDir: dir, userId: root.userId, device, logEntries: log }))).toBe(
      'KEYSTORE_EXISTS',
    );
  });

  it('a damaged key file gives KEYSTORE_CORRUPT', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kith-ks-'));
    await createKeystore({ dataDir: dir, userId: root.userId, device, logEntries: [createGenesis(root)] });
    await writeFile(dataPaths(dir).keyFile, 'garbage');
    expect(await codeOf(unlock(dir, undefined))).toBe('KEYSTORE_CORRUPT');
  });
});

describe('atomic write', () => {
  it('replaces content whole and leaves no temp files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kith-aw-'));
    const path = join(dir, 'f');
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileAtomic(path, String(i).repeat(1000))));
    const content = await readFile(path, 'utf8');
    expect(content).toMatch(/^(\d+)$/);
    expect(content).toBe(content.slice(0, content.length / 1000).repeat(1000));
    expect(await readdir(dir)).toEqual(['f']);
  });
});
