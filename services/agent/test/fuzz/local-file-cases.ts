/**
 * What both data-directory fuzz suites share (docs/SECURITY.md "Fuzzing"): the seed files and
 * the inputs made from them. local-files.fuzz.test.ts writes each case to a real file and reads
 * it back (scrypt included); local-file-parsers.fuzz.test.ts gives the same inputs to the pure
 * parsers the readers call, for a million cases in long mode.
 */
import fc from 'fast-check';
import {
  decoderInput,
  deterministicBytes,
  mutationsOf,
} from '../../../../packages/core/test/fuzz/harness.ts';
import { sealBackup } from '../../src/backup/backup-file.ts';
import { RelayKeyFileFormat } from '../../src/keystore/relay-key-file.ts';
import { sealKeyFile } from '../../src/keystore/key-file.ts';

export const counter = deterministicBytes;
export const DEVICE = 'bwwcj-x6s30-63kpz-cp8fe-trg9y';
/** Fast scrypt for the seeds (the bounds admit it: less than this build's own). */
const FAST = { N: 2 ** 14, r: 8, p: 1 };
export const keyFileHeader = {
  userId: DEVICE,
  deviceId: DEVICE,
  index: 0,
  protection: 'passphrase' as const,
};
export const secrets = {
  signingSeed: new Uint8Array(32).fill(1),
  agreementPrivateKey: new Uint8Array(32).fill(2),
  storageKey: new Uint8Array(32).fill(3),
};

/** A device key file under the passphrase "pw", and one in clear. */
export async function keyFileSeeds(): Promise<{ sealed: Uint8Array; clear: Uint8Array }> {
  const sealed = await sealKeyFile(keyFileHeader, secrets, 'pw', counter(1), FAST);
  const clear = await sealKeyFile({ ...keyFileHeader, protection: 'none' }, secrets, undefined, counter(2));
  return { sealed, clear };
}

export const keyFileInput = (sealed: Uint8Array, clear: Uint8Array) =>
  fc.oneof(mutationsOf([sealed]), mutationsOf([clear]), decoderInput([sealed], { v: 1 }));

/** Any scrypt N, r, p and nonce length the key file's schema lets through. */
export const scryptCase = fc.record({
  N: fc.oneof(
    fc.integer({ min: 2 ** 14, max: 2 ** 22 }),
    fc.integer({ min: 14, max: 22 }).map((e) => 2 ** e),
  ),
  r: fc.integer({ min: 1, max: 32 }),
  p: fc.integer({ min: 1, max: 16 }),
  // Half of them 24 bytes, so the scrypt bounds decide (another length is refused first).
  nonce: fc.oneof(fc.uint8Array({ maxLength: 24 }), fc.uint8Array({ minLength: 24, maxLength: 24 })),
});

export const relayKeyInput = decoderInput(
  [
    RelayKeyFileFormat.encode({
      v: 1,
      deviceId: DEVICE,
      linkPrivateKey: new Uint8Array(32).fill(4),
      relaySeed: new Uint8Array(32).fill(5),
    }),
  ],
  { v: 1 },
);

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * `valid` with the value at one of its paths (an entry, a field of one, a whole section)
 * replaced by any JSON value or a near miss: null, a time `Date` cannot show, the wrong type.
 * Random JSON almost never has the file's shape, so without this the entries' checks went
 * untested: a peer entry of null (once a crash at start) was not generated.
 */
function withOneValueReplaced(valid: Json): fc.Arbitrary<string> {
  const paths: string[][] = [];
  const walk = (v: Json, path: string[]) => {
    if (path.length > 0) paths.push(path);
    if (v !== null && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...path, k]);
  };
  walk(valid, []);
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
    fc.constantFrom<Json>(null, 1e300, -1, 2 ** 53, 8.64e15 + 1, 1.5, '', 'zz', 'ab'.repeat(33), [], {}),
  );
  return fc.tuple(fc.constantFrom(...paths), value).map(([path, v]) => {
    const copy = structuredClone(valid) as Record<string, Json>;
    let at = copy;
    for (const k of path.slice(0, -1)) at = at[k] as Record<string, Json>;
    at[path.at(-1)!] = v;
    return JSON.stringify(copy);
  });
}

/** JSON of any shape, near misses, mutations of `valid`, and `valid` with one value replaced. */
const jsonText = (valid: Json, nearMisses: readonly string[]) =>
  fc.oneof(
    fc.json({ maxDepth: 4 }),
    fc.constantFrom(...nearMisses),
    mutationsOf([new TextEncoder().encode(JSON.stringify(valid))]).map(latin1),
    withOneValueReplaced(valid),
  );

/** link-replay.json's text; and any text at all. */
export const replayText = fc.oneof(
  jsonText({ v: 1, last: { ['ab'.repeat(32)]: '1750000000000000000', ['cd'.repeat(48)]: '1' } }, [
    'null',
    '1',
    '"x"',
    '[]',
    '{"v":1}',
    '{"v":1,"last":null}',
    '{"v":1,"last":[1]}',
  ]),
  fc.string({ maxLength: 200 }),
);

export const webSessionsText = jsonText(
  {
    version: 1,
    codes: [{ hash: 'ab'.repeat(32), expiresAt: 1_700_000_100_000 }],
    sessions: [{ id: 's1', hash: 'cd'.repeat(32), createdAt: 1, lastSeenAt: 1_700_000_000_000, agent: 'x' }],
  },
  ['null', '7', '[]', '{}'],
);

export const portWindowsText = jsonText(
  {
    own: { gen: 1, key: 'ab'.repeat(32) },
    peers: {
      d1: { gen: 2, key: 'cd'.repeat(32), periodMs: 60_000, openMs: 5_000 },
      d2: { gen: 0, key: null, periodMs: 60_000, openMs: 5_000 },
    },
  },
  ['null', '7', '[]', '{}'],
);

export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return new Uint8Array(Buffer.concat(parts));
}

export async function* once(bytes: Uint8Array) {
  yield bytes;
}

/** A backup of 300 bytes under the passphrase "pw" (fast scrypt). */
export function backupSeed(): Promise<Uint8Array> {
  return collect(sealBackup(once(new Uint8Array(300).fill(7)), 'pw', counter(9), new Date(0), FAST));
}

export const backupInput = (sealedBackup: Uint8Array) =>
  fc.oneof(mutationsOf([sealedBackup]), fc.uint8Array({ maxLength: 400 }));
