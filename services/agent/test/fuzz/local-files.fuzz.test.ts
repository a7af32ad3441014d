/**
 * Fuzzing of the files a node reads back from its data directory (issue #17, docs/SECURITY.md
 * "Fuzzing"): the device key file (sealed and unprotected), the relay key file and the replay
 * guard's memory (link-replay.json). A damaged file must give a catalogued error (the key files)
 * or count as empty (the replay file), never a RangeError, a hang or a huge allocation: a CI
 * fuzz run once found a flipped bit in scrypt's N crashing the key file's reader. Also the
 * state files of the web UI's sign-in (web-sessions.json) and the port windows (port-windows.json).
 * Long mode: KITH_FUZZ_RUNS=N (or npm run fuzz -- --runs N).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isKithError } from '@kith/core/errors';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fuzzAssert,
  decodesOrRefuses,
  decoderInput,
  deterministicBytes,
  FUZZ_TIMEOUT,
  mutationsOf,
  params,
  rethrowUnlessCatalogued,
} from '../../../../packages/core/test/fuzz/harness.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { openBackup, sealBackup } from '../../src/backup/backup-file.ts';
import { KeyFileFormat, openKeyFile, readKeyFileHeader, sealKeyFile } from '../../src/keystore/key-file.ts';
import { RelayKeyFileFormat, readRelayKeys } from '../../src/keystore/relay-key-file.ts';
import { replayFile } from '../../src/link/replay-file.ts';
import { PORT_WINDOWS_FILE, PortWindows } from '../../src/peer/port-windows.ts';
import { WEB_SESSIONS_FILE, WebSessions } from '../../src/web/web-sessions.ts';

const counter = deterministicBytes;
const FAST = { N: 2 ** 14, r: 8, p: 1 };
const DEVICE = 'bwwcj-x6s30-63kpz-cp8fe-trg9y';
const header = { userId: DEVICE, deviceId: DEVICE, index: 0, protection: 'passphrase' as const };
const secrets = {
  signingSeed: new Uint8Array(32).fill(1),
  agreementPrivateKey: new Uint8Array(32).fill(2),
  storageKey: new Uint8Array(32).fill(3),
};

let dir: string;
let sealed: Uint8Array;
let clear: Uint8Array;
beforeAll(async () => {
  dir = await makeTempDir('kith-files-fuzz-');
  sealed = await sealKeyFile(header, secrets, 'pw', counter(1), FAST);
  clear = await sealKeyFile({ ...header, protection: 'none' }, secrets, undefined, counter(2));
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
        fc.asyncProperty(
          fc.oneof(mutationsOf([sealed]), mutationsOf([clear]), decoderInput([sealed], { v: 1 })),
          async (bytes) => {
            decodesOrRefuses(readKeyFileHeader, bytes);
            for (const passphrase of ['pw', undefined]) {
              try {
                await openKeyFile(bytes, passphrase);
              } catch (e) {
                rethrowUnlessCatalogued(e);
              }
            }
          },
        ),
        params(200),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'device key files with any scrypt parameters and nonce the schema lets through',
    async () => {
      const f = KeyFileFormat.decode(sealed);
      await fuzzAssert(
        fc.asyncProperty(
          fc.record({
            N: fc.oneof(
              fc.integer({ min: 2 ** 14, max: 2 ** 22 }),
              fc.integer({ min: 14, max: 22 }).map((e) => 2 ** e),
            ),
            r: fc.integer({ min: 1, max: 32 }),
            p: fc.integer({ min: 1, max: 16 }),
            nonce: fc.uint8Array({ maxLength: 24 }),
          }),
          async ({ N, r, p, nonce }) => {
            const bytes = KeyFileFormat.encode({ ...f, kdf: { ...f.kdf!, N, r, p }, nonce });
            try {
              await openKeyFile(bytes, 'pw');
            } catch (e) {
              rethrowUnlessCatalogued(e);
            }
          },
        ),
        params(40),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'relay key files (readRelayKeys)',
    async () => {
      const valid = RelayKeyFileFormat.encode({
        v: 1,
        deviceId: DEVICE,
        linkPrivateKey: new Uint8Array(32).fill(4),
        relaySeed: new Uint8Array(32).fill(5),
      });
      const path = join(dir, 'relay.key');
      await fuzzAssert(
        fc.asyncProperty(decoderInput([valid], { v: 1 }), async (bytes) => {
          await writeFile(path, bytes);
          try {
            await readRelayKeys(path, DEVICE);
          } catch (e) {
            rethrowUnlessCatalogued(e);
          }
        }),
        params(300),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'the replay guard file (link-replay.json) loads as a map or as empty, never throws',
    async () => {
      const path = join(dir, 'link-replay.json');
      const valid = JSON.stringify({ v: 1, last: { ['ab'.repeat(32)]: '1750000000000000000' } });
      const text = fc.oneof(
        fc.json({ maxDepth: 3 }),
        fc.string({ maxLength: 200 }),
        fc.constantFrom('null', '1', '"x"', '[]', '{"v":1}', '{"v":1,"last":null}', '{"v":1,"last":[1]}'),
        mutationsOf([new TextEncoder().encode(valid)]).map((b) => Buffer.from(b).toString('latin1')),
      );
      await fuzzAssert(
        fc.asyncProperty(text, async (t) => {
          await writeFile(path, t);
          const loaded = await replayFile(path).load();
          for (const [key, value] of loaded) {
            expect(key).toMatch(/^(?:[0-9a-f]{64}|[0-9a-f]{96})$/);
            expect(typeof value).toBe('bigint');
          }
        }),
        params(500),
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

  it('regression: a nonce shorter than 24 bytes is a damaged file', async () => {
    const f = KeyFileFormat.decode(sealed);
    const bytes = KeyFileFormat.encode({ ...f, nonce: f.nonce.subarray(0, 23) });
    expect(await codeOf(openKeyFile(bytes, 'pw'))).toBe('KEYSTORE_CORRUPT');
  });
});

describe('fuzz: state files of the web UI and the port windows', { retry: 0 }, () => {
  const jsonText = (valid: string) =>
    fc.oneof(
      fc.json({ maxDepth: 4 }),
      fc.constantFrom('null', '7', '[]', '{}'),
      mutationsOf([new TextEncoder().encode(valid)]).map((b) => Buffer.from(b).toString('latin1')),
      // The valid shape with one entry replaced by any JSON value.
      fc.jsonValue({ maxDepth: 2 }).map((v) => valid.replace(/\{"(hash|gen)"[^}]*\}/, JSON.stringify(v))),
    );

  it(
    'web-sessions.json: loads or is FILE_UNREADABLE; then list, check and createCode answer or refuse cleanly',
    async () => {
      const fileDir = await makeTempDir('kith-web-sessions-fuzz-');
      const valid = JSON.stringify({
        version: 1,
        codes: [{ hash: 'ab'.repeat(32), expiresAt: 1_700_000_100_000 }],
        sessions: [
          { id: 's1', hash: 'cd'.repeat(32), createdAt: 1, lastSeenAt: 1_700_000_000_000, agent: 'x' },
        ],
      });
      await fuzzAssert(
        fc.asyncProperty(jsonText(valid), async (text) => {
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
        params(300),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'port-windows.json: any content starts the windows (a damaged key is replaced)',
    async () => {
      const valid = JSON.stringify({
        own: { gen: 1, key: 'ab'.repeat(32) },
        peers: { d1: { gen: 2, key: 'cd'.repeat(32), periodMs: 60_000, openMs: 5_000 } },
      });
      const fileDir = await makeTempDir('kith-port-windows-fuzz-');
      await fuzzAssert(
        fc.asyncProperty(jsonText(valid), async (text) => {
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
        params(200),
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
  const FAST_BACKUP = { N: 2 ** 14, r: 8, p: 1 };
  async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const part of stream) parts.push(part);
    return new Uint8Array(Buffer.concat(parts));
  }
  async function* once(bytes: Uint8Array) {
    yield bytes;
  }
  let sealedBackup: Uint8Array;
  beforeAll(async () => {
    sealedBackup = await collect(
      sealBackup(once(new Uint8Array(300).fill(7)), 'pw', counter(9), new Date(0), FAST_BACKUP),
    );
  });

  it(
    'backup files, mutated (openBackup): the plaintext, or a catalogued error',
    async () => {
      await fuzzAssert(
        fc.asyncProperty(
          fc.oneof(mutationsOf([sealedBackup]), fc.uint8Array({ maxLength: 400 })),
          async (b) => {
            try {
              await collect(openBackup(once(b), 'pw'));
            } catch (e) {
              rethrowUnlessCatalogued(e);
            }
          },
        ),
        params(150),
      );
    },
    FUZZ_TIMEOUT,
  );

  it('regression: a backup header with an N that is not a power of two, or 4 GiB of scrypt, is BACKUP_INVALID', async () => {
    const nl = sealedBackup.indexOf(10);
    const header = JSON.parse(Buffer.from(sealedBackup.subarray(0, nl)).toString('utf8'));
    for (const kdf of [
      { N: 3 * 2 ** 13, r: 8, p: 1 },
      { N: 2 ** 20, r: 32, p: 16 },
    ]) {
      const changed = Buffer.concat([
        Buffer.from(JSON.stringify({ ...header, kdf: { ...header.kdf, ...kdf } })),
        sealedBackup.subarray(nl),
      ]);
      expect(await codeOf(collect(openBackup(once(changed), 'pw')))).toBe('BACKUP_INVALID');
    }
    expect((await collect(openBackup(once(sealedBackup), 'pw'))).length).toBe(300);
  });
});
