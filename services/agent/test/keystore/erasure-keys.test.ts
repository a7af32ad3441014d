/**
 * Erasure keys (keystore/erasure-keys.ts): what a bucket sealed opens until the bucket ends and
 * is erased, then never again — not from the file, not with the storage key — and a bucket
 * something still uses is kept.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { ErasureKeys, erasureKeysPath } from '../../src/keystore/erasure-keys.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));
const DAY = 24 * 60 * 60 * 1000;

describe('erasure keys', () => {
  it('a bucket ends on its day; once erased, what it sealed opens no more, even from a new reader', async () => {
    const dir = await makeTempDir('kith-erasure-');
    const storageKey = random(32);
    const keys = new ErasureKeys(erasureKeysPath(dir), () => storageKey, random, DAY);
    expect(keys.bucketFor(10 * DAY)).toBe(9);
    expect(keys.bucketFor(10 * DAY + 1)).toBe(10);
    const secret = random(32);
    const sealed = await keys.seal(keys.bucketFor(10 * DAY), 'epoch-key', secret);
    const kept = await keys.seal(keys.bucketFor(20 * DAY), 'epoch-key', secret);
    // Read back from the file by another instance (a restart).
    const again = new ErasureKeys(erasureKeysPath(dir), () => storageKey, random, DAY);
    expect(await again.open(9, 'epoch-key', sealed)).toEqual(secret);
    const before = await readFile(erasureKeysPath(dir));

    expect(await keys.eraseEnded(10 * DAY - 1, new Set())).toEqual([]);
    expect(await keys.eraseEnded(10 * DAY, new Set([9]))).toEqual([]);
    expect(await keys.eraseEnded(10 * DAY, new Set())).toEqual([9]);
    expect(await keys.open(9, 'epoch-key', sealed)).toBeUndefined();
    const fresh = new ErasureKeys(erasureKeysPath(dir), () => storageKey, random, DAY);
    expect(await fresh.open(9, 'epoch-key', sealed)).toBeUndefined();
    expect(await fresh.open(19, 'epoch-key', kept)).toEqual(secret);
    // The file changed, and its bytes never carry the secret in the clear.
    const after = await readFile(erasureKeysPath(dir));
    expect(after.equals(before)).toBe(false);
    expect(after.includes(Buffer.from(secret))).toBe(false);
    expect(join(dir, 'keys', 'erasure.keys')).toBe(erasureKeysPath(dir));
  });

  it('a file under another storage key is KEYSTORE_CORRUPT, not an empty set of keys', async () => {
    const dir = await makeTempDir('kith-erasure-');
    await new ErasureKeys(erasureKeysPath(dir), () => random(32), random).keyOf(1);
    const other = new ErasureKeys(erasureKeysPath(dir), () => random(32), random);
    await expect(other.keyOf(1)).rejects.toMatchObject({ code: 'KEYSTORE_CORRUPT' });
  });
});
