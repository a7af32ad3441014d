/**
 * Fuzzing of the files a node reads back from its data directory (issue #17, docs/SECURITY.md
 * "Fuzzing"): the device key file (sealed and unprotected), the relay key file and the replay
 * guard's memory (link-replay.json). A damaged file must give a catalogued error (the key files)
 * or count as empty (the replay file), never a RangeError, a hang or a huge allocation: a CI
 * fuzz run once found a flipped bit in scrypt's N crashing the key file's reader. Also the
 * state files of the web UI's sign-in (web-sessions.json) and the port windows (port-windows.json).
 * A case writes a real file and may run scrypt, so these keep their short count in long mode:
 * local-file-parsers.fuzz.test.ts gives the same inputs (local-file-cases.ts) to the parsers the
 * readers call, a million cases each.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isKithError } from '@kith/core/errors';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fuzzAssert,
  decodesOrRefuses,
  FUZZ_TIMEOUT,
  rethrowUnlessCatalogued,
  shortParams,
} from '../../../../packages/core/test/fuzz/harness.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { openBackup } from '../../src/backup/backup-file.ts';
import { KeyFileFormat, openKeyFile, readKeyFileHeader } from '../../src/keystore/key-file.ts';
import { readRelayKeys } from '../../src/keystore/relay-key-file.ts';
import { replayFile } from '../../src/link/replay-file.ts';
import { PORT_WINDOWS_FILE, PortWindows } from '../../src/peer/port-windows.ts';
import { WEB_SESSIONS_FILE, WebSessions } from '../../src/web/web-sessions.ts';
import {
  backupInput,
  backupSeed,
  collect,
  counter,
  DEVICE,
  keyFileInput,
  keyFileSeeds,
  once,
  portWindowsText,
  relayKeyInput,
  replayText,
  scryptCase,
  secrets,
  webSessionsText,
} from './local-file-cases.ts';

let dir: string;
let sealed: Uint8Array;
let clear: Uint8Array;
beforeAll(async () => {
  dir = await makeTempDir('kith-files-fuzz-');
  ({ sealed, clear } = await keyFileSeeds());
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (isKithError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('fuzz: files in the data directory give a value, a catalogued error, or count as empty', {
  retry: 0,
}, () => {
  it(
    'device key files, mutated (readKeyFileHeader, openKeyFile with and without the passphrase)',
    async () => {
      await fuzzAssert(
        fc.asyncProperty(keyFileInput(sealed, clear), async (bytes) => {
          decodesOrRefuses(readKeyFileHeader, bytes);
          for (const passphrase of ['pw', undefined]) {
            try {
              await openKeyFile(bytes, passphrase);
            } catch (e) {
              rethrowUnlessCatalogued(e);
            }
          }
        }),
        shortParams(200),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'device key files with any scrypt parameters and nonce the schema lets through',
    async () => {
      const f = KeyFileFormat.decode(sealed);
      await fuzzAssert(
        fc.asyncProperty(scryptCase, async ({ N, r, p, nonce }) => {
          const bytes = KeyFileFormat.encode({ ...f, kdf: { ...f.kdf!, N, r, p }, nonce });
          try {
            await openKeyFile(bytes, 'pw');
          } catch (e) {
            rethrowUnlessCatalogued(e);
          }
        }),
        shortParams(40),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'relay key files (readRelayKeys)',
    async () => {
      const path = join(dir, 'relay.key');
      await fuzzAssert(
        fc.asyncProperty(relayKeyInput, async (bytes) => {
          await writeFile(path, bytes);
          try {
            await readRelayKeys(path, DEVICE);
          } catch (e) {
            rethrowUnlessCatalogued(e);
          }
        }),
        shortParams(300),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'the replay guard file (link-replay.json) loads as a map or as empty, never throws',
    async () => {
      const path = join(dir, 'link-replay.json');
      await fuzzAssert(
        fc.asyncProperty(replayText, async (t) => {
          await writeFile(path, t);
          const loaded = await replayFile(path).load();
          for (const [key, value] of loaded) {
            expect(key).toMatch(/^(?:[0-9a-f]{64}|[0-9a-f]{96})$/);
            expect(typeof value).toBe('bigint');
          }
        }),
        shortParams(500),
      );
    },
    FUZZ_TIMEOUT,
  );

  it('regression: a replay file holding JSON null or a number counts as empty (was a TypeError)', async () => {
    const path = join(dir, 'null-replay.json');
    for (const text of ['null', '7', 'true']) {
      await writeFile(path, text);
      expect((await replayFile(path).load()).size).toBe(0);
    }
  });

  it('regression: scrypt parameters past this build’s own (up to 16 GiB, hours of work) are a damaged file', async () => {
    const f = KeyFileFormat.decode(sealed);
    for (const kdf of [
      { N: 2 ** 22, r: 32, p: 1 },
      { N: 2 ** 20, r: 8, p: 16 },
      { N: 2 ** 18, r: 32, p: 16 },
    ]) {
      const bytes = KeyFileFormat.encode({ ...f, kdf: { ...f.kdf!, ...kdf } });
      expect(await codeOf(openKeyFile(bytes, 'pw'))).toBe('KEYSTORE_CORRUPT');
    }
    // What this build writes still opens.
    expect((await openKeyFile(sealed, 'pw')).storageKey).toEqual(secrets.storageKey);
  });

  it('regression: N at or above 2^(16·r) (r = 1, N = 2^16) is a damaged file (was a RangeError from scrypt)', async () => {
    const f = KeyFileFormat.decode(sealed);
    for (const N of [2 ** 16, 2 ** 18]) {
      const bytes = KeyFileFormat.encode({ ...f, kdf: { ...f.kdf!, N, r: 1, p: 1 } });
      expect(await codeOf(openKeyFile(bytes, 'pw'))).toBe('KEYSTORE_CORRUPT');
    }
    // r = 1 below the limit still derives (and then finds the tag wrong).
    const below = KeyFileFormat.encode({ ...f, kdf: { ...f.kdf!, N: 2 ** 15, r: 1, p: 1 } });
    expect(await codeOf(openKeyFile(below, 'pw'))).toBe('KEYSTORE_BAD_PASSPHRASE');
  });

  it('regression: a nonce shorter than 24 bytes is a damaged file', async () => {
    const f = KeyFileFormat.decode(sealed);
    const bytes = KeyFileFormat.encode({ ...f, nonce: f.nonce.subarray(0, 23) });
    expect(await codeOf(openKeyFile(bytes, 'pw'))).toBe('KEYSTORE_CORRUPT');
  });
});

describe('fuzz: state files of the web UI and the port windows', { retry: 0 }, () => {
  it(
    'web-sessions.json: loads or is FILE_UNREADABLE; then list, check and createCode answer or refuse cleanly',
    async () => {
      const fileDir = await makeTempDir('kith-web-sessions-fuzz-');
      await fuzzAssert(
        fc.asyncProperty(webSessionsText, async (text) => {
          await writeFile(join(fileDir, WEB_SESSIONS_FILE), text);
          const sessions = new WebSessions(fileDir, () => 1_700_000_000_000, counter(5));
          try {
            await sessions.load();
          } catch (e) {
            rethrowUnlessCatalogued(e);
            return;
          }
          sessions.list();
          for (const op of [() => sessions.check('secret'), () => sessions.createCode()]) {
            try {
              await op();
            } catch (e) {
              rethrowUnlessCatalogued(e);
            }
          }
        }),
        shortParams(300),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'port-windows.json: any content starts the windows (a damaged key is replaced)',
    async () => {
      const fileDir = await makeTempDir('kith-port-windows-fuzz-');
      await fuzzAssert(
        fc.asyncProperty(portWindowsText, async (text) => {
          await writeFile(join(fileDir, PORT_WINDOWS_FILE), text);
          const windows = new PortWindows({
            enabled: true,
            schedule: { periodMs: 60_000, openMs: 5_000 },
            dataDir: fileDir,
            clock: () => 1_700_000_000_000,
            random: counter(6),
            logger: { info() {}, warn() {} },
          });
          let listening = true;
          await windows.start(
            {
              get listening() {
                return listening;
              },
              pause: async () => {
                listening = false;
              },
              resume: async () => {
                listening = true;
              },
            },
            () => [],
          );
          windows.stop();
        }),
        shortParams(200),
      );
    },
    FUZZ_TIMEOUT,
  );

  it('regression: a port-windows.json whose peer entry is null starts (was a TypeError)', async () => {
    const fileDir = await makeTempDir('kith-port-windows-null-');
    await writeFile(join(fileDir, PORT_WINDOWS_FILE), '{"peers":{"d1":null}}');
    const windows = new PortWindows({
      enabled: false,
      schedule: { periodMs: 60_000, openMs: 5_000 },
      dataDir: fileDir,
      clock: () => 1_700_000_000_000,
      random: counter(7),
      logger: { info() {}, warn() {} },
    });
    const gate = { listening: true, pause: async () => undefined, resume: async () => undefined };
    await windows.start(gate, () => []);
    windows.stop();
  });

  it('regression: a web-sessions.json entry of the wrong shape is dropped, not a failed request later', async () => {
    const fileDir = await makeTempDir('kith-web-sessions-bad-');
    await writeFile(
      join(fileDir, WEB_SESSIONS_FILE),
      JSON.stringify({
        version: 1,
        codes: [null],
        sessions: [{ id: 's', hash: 'ab', createdAt: 1e300, lastSeenAt: 1_700_000_000_000, agent: 'x' }],
      }),
    );
    const sessions = new WebSessions(fileDir, () => 1_700_000_000_000, counter(8));
    await sessions.load();
    expect(sessions.list()).toEqual([]);
    expect((await sessions.createCode()).code).toMatch(/^[0-9A-Z-]+$/);
  });
});

describe('fuzz: backup files', { retry: 0 }, () => {
  let sealedBackup: Uint8Array;
  beforeAll(async () => {
    sealedBackup = await backupSeed();
  });

  it(
    'backup files, mutated (openBackup): the plaintext, or a catalogued error',
    async () => {
      await fuzzAssert(
        fc.asyncProperty(backupInput(sealedBackup), async (b) => {
          try {
            await collect(openBackup(once(b), 'pw'));
          } catch (e) {
            rethrowUnlessCatalogued(e);
          }
        }),
        shortParams(150),
      );
    },
    FUZZ_TIMEOUT,
  );

  it('regression: a backup header with an N that is not a power of two, N ≥ 2^(16·r), or 4 GiB of scrypt, is BACKUP_INVALID', async () => {
    const nl = sealedBackup.indexOf(10);
    const header = JSON.parse(Buffer.from(sealedBackup.subarray(0, nl)).toString('utf8'));
    for (const kdf of [
      { N: 3 * 2 ** 13, r: 8, p: 1 },
      { N: 2 ** 20, r: 32, p: 16 },
      // N at or above 2^(16·r): scrypt threw a RangeError.
      { N: 2 ** 16, r: 1, p: 1 },
    ]) {
      const changed = Buffer.concat([
        Buffer.from(JSON.stringify({ ...header, kdf: { ...header.kdf, ...kdf } })),
        sealedBackup.subarray(nl),
      ]);
      expect(await codeOf(collect(openBackup(once(changed), 'pw')))).toBe('BACKUP_INVALID');
    }
    expect((await collect(openBackup(once(sealedBackup), 'pw'))).length).toBe(300);
  });

  it('regression: a header line over 1 KiB is BACKUP_INVALID in one piece as in many (was a wrong passphrase in one)', async () => {
    const nl = sealedBackup.indexOf(10);
    const padded = Buffer.concat([
      sealedBackup.subarray(0, nl - 1),
      Buffer.from(' '.repeat(1100)),
      sealedBackup.subarray(nl - 1),
    ]);
    async function* pieces(bytes: Uint8Array, size: number) {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    }
    expect(await codeOf(collect(openBackup(once(padded), 'pw')))).toBe('BACKUP_INVALID');
    expect(await codeOf(collect(openBackup(pieces(padded, 100), 'pw')))).toBe('BACKUP_INVALID');
  });
});
