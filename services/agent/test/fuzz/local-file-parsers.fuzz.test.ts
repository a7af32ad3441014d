/**
 * Long-mode properties of the data directory's files (docs/SECURITY.md "Fuzzing"): the inputs of
 * local-files.fuzz.test.ts (local-file-cases.ts, shared) given to the pure parsers its readers
 * call, without the file and without scrypt, so a million cases take minutes. Each asserts what
 * the file-level property does (a value, a catalogued error, or empty) and what the reader relies
 * on in a value. Not covered here: the file I/O, scrypt and the decryption after it (the
 * file-level properties, short count).
 */
import { ERROR_CATALOGUE, KithError } from '@kith/core/errors';
import { WINDOW_KEY_BYTES, checkSchedule } from '@kith/core/net/port-window';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_TIMEOUT, fuzzAssert, params } from '../../../../packages/core/test/fuzz/harness.ts';
import { BACKUP_SCRYPT, parseBackupHeader } from '../../src/backup/backup-file.ts';
import {
  KeyFileFormat,
  parseKeyFile,
  readKeyFileHeader,
  SCRYPT_PARAMS,
} from '../../src/keystore/key-file.ts';
import { parseRelayKeyFile } from '../../src/keystore/relay-key-file.ts';
import { parseReplayFile } from '../../src/link/replay-file.ts';
import { parsePortWindowsFile } from '../../src/peer/port-windows-file.ts';
import { parseWebSessionsFile } from '../../src/web/web-sessions.ts';
import {
  backupInput,
  backupSeed,
  DEVICE,
  keyFileInput,
  keyFileSeeds,
  portWindowsText,
  relayKeyInput,
  replayText,
  scryptCase,
  webSessionsText,
  secrets,
} from './local-file-cases.ts';

/** `parse()`'s value, or undefined when it refused with one of `codes` (anything else fails). */
function valueOrRefusal<T>(parse: () => T, codes: readonly string[]): T | undefined {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof KithError) || !Object.hasOwn(ERROR_CATALOGUE, e.code)) throw e;
    expect(codes).toContain(e.code);
    return undefined;
  }
}

/**
 * scrypt's cost as the bounds allow it, written apart from scrypt-bounds.ts: what node's scrypt
 * takes (N a power of two below 2^(16·r), RFC 7914), at most 2x the memory and 4x the work.
 */
function withinBounds(kdf: { N: number; r: number; p: number }, own: { N: number; r: number; p: number }) {
  const log = Math.log2(kdf.N);
  const scryptTakes = Number.isSafeInteger(kdf.N) && Number.isInteger(log) && log > 0 && log < 16 * kdf.r;
  return (
    scryptTakes && kdf.N * kdf.r <= 2 * own.N * own.r && kdf.N * kdf.r * kdf.p <= 4 * own.N * own.r * own.p
  );
}

const isTimeShown = (t: number) => typeof new Date(t).toISOString() === 'string';

let sealed: Uint8Array;
let clear: Uint8Array;
let sealedBackup: Uint8Array;
beforeAll(async () => {
  ({ sealed, clear } = await keyFileSeeds());
  sealedBackup = await backupSeed();
});

describe('fuzz (parsers alone): files of the data directory', { retry: 0 }, () => {
  it(
    'device key files, mutated (readKeyFileHeader, parseKeyFile with and without a passphrase)',
    () => {
      fuzzAssert(
        fc.property(keyFileInput(sealed, clear), (bytes) => {
          valueOrRefusal(() => readKeyFileHeader(bytes), ['KEYSTORE_CORRUPT']);
          for (const hasPassphrase of [true, false]) {
            const f = valueOrRefusal(
              () => parseKeyFile(bytes, hasPassphrase),
              ['KEYSTORE_CORRUPT', 'KEYSTORE_LOCKED'],
            );
            if (f?.protection === 'none') expect(f.secrets.storageKey.length).toBe(32);
            if (f?.protection === 'passphrase') {
              // What scrypt and the AEAD get: a cost within bounds and a 24-byte nonce.
              expect(withinBounds(f.kdf, SCRYPT_PARAMS)).toBe(true);
              expect(f.nonce.length).toBe(24);
            }
          }
        }),
        params(1000),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'device key files with any scrypt parameters and nonce the schema lets through (the bounds decision)',
    () => {
      const f = KeyFileFormat.decode(sealed);
      fuzzAssert(
        fc.property(scryptCase, ({ N, r, p, nonce }) => {
          const bytes = KeyFileFormat.encode({ ...f, kdf: { ...f.kdf!, N, r, p }, nonce });
          const parsed = valueOrRefusal(() => parseKeyFile(bytes, true), ['KEYSTORE_CORRUPT']);
          // Accepted exactly when scrypt may run: refused ones never reach it.
          expect(parsed !== undefined).toBe(withinBounds({ N, r, p }, SCRYPT_PARAMS) && nonce.length === 24);
        }),
        params(1000),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'relay key files (parseRelayKeyFile)',
    () => {
      fuzzAssert(
        fc.property(relayKeyInput, (bytes) => {
          const pairs = valueOrRefusal(
            () => parseRelayKeyFile(bytes, DEVICE, 'relay.key'),
            ['KEYSTORE_CORRUPT'],
          );
          if (pairs) expect([pairs.link.publicKey.length, pairs.signing.publicKey.length]).toEqual([32, 32]);
        }),
        params(1000),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'the replay guard file (parseReplayFile) gives a map or empty, never throws',
    () => {
      fuzzAssert(
        fc.property(replayText, (t) => {
          for (const [key, value] of parseReplayFile(t)) {
            expect(key).toMatch(/^(?:[0-9a-f]{64}|[0-9a-f]{96})$/);
            expect(typeof value).toBe('bigint');
          }
        }),
        params(1000),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'web-sessions.json (parseWebSessionsFile): entries a later request can use, empty, or FILE_UNREADABLE',
    () => {
      fuzzAssert(
        fc.property(webSessionsText, (text) => {
          const state = valueOrRefusal(() => parseWebSessionsFile(text), ['FILE_UNREADABLE']);
          if (state === undefined || state === 'empty') return;
          for (const c of state.codes) {
            expect(typeof c.hash).toBe('string');
            expect(isTimeShown(c.expiresAt)).toBe(true);
          }
          for (const s of state.sessions) {
            expect([typeof s.id, typeof s.hash, typeof s.agent]).toEqual(['string', 'string', 'string']);
            expect(isTimeShown(s.createdAt) && isTimeShown(s.lastSeenAt)).toBe(true);
          }
        }),
        params(1000),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'port-windows.json (parsePortWindowsFile): sound keys and schedules or empty, never throws',
    () => {
      fuzzAssert(
        fc.property(portWindowsText, (text) => {
          const file = parsePortWindowsFile(text);
          if (file === 'empty') return;
          if (file.own) {
            expect(Number.isSafeInteger(file.own.gen)).toBe(true);
            expect(file.own.key.length).toBe(WINDOW_KEY_BYTES);
          }
          for (const p of file.peers.values()) {
            expect(Number.isSafeInteger(p.gen)).toBe(true);
            expect(p.key === null || p.key.length === WINDOW_KEY_BYTES).toBe(true);
            checkSchedule(p);
          }
        }),
        params(1000),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'backup file headers, mutated (parseBackupHeader on the first line, as openBackup splits it)',
    () => {
      fuzzAssert(
        fc.property(backupInput(sealedBackup), (b) => {
          // openBackup's reader: the first line, newline included; none is BACKUP_INVALID.
          const nl = b.indexOf(10);
          if (nl < 0) return;
          const h = valueOrRefusal(() => parseBackupHeader(b.subarray(0, nl + 1)), ['BACKUP_INVALID']);
          if (h === undefined) return;
          expect(withinBounds(h.kdf, BACKUP_SCRYPT)).toBe(true);
          expect(Buffer.from(h.nonce, 'base64').length).toBe(16);
        }),
        params(1000),
      );
    },
    FUZZ_TIMEOUT,
  );

  it('the seeds themselves parse (the properties reach the accepting paths)', () => {
    expect(parseKeyFile(sealed, true).protection).toBe('passphrase');
    const open = parseKeyFile(clear, false);
    expect(open.protection === 'none' && open.secrets.storageKey).toEqual(secrets.storageKey);
    expect(parseBackupHeader(sealedBackup.subarray(0, sealedBackup.indexOf(10) + 1)).kdf.N).toBe(2 ** 14);
  });
});
