/**
 * Erasure keys (docs/SECURITY.md "Forward secrecy"): what the device must be able to forget
 * (epoch keys, prekey private halves) is sealed in the database under the key of its erasure
 * bucket, then under the storage key. Erasing a bucket removes its key from this small file
 * (rewritten atomically), so every copy of what it sealed — database rows, Postgres WAL, dead
 * tuples, backups of the database — becomes unreadable at once, on PGlite and Postgres alike.
 *
 * File: DATA/keys/erasure.keys = sealBox(storageKey, 'erasure-keys', ErasureKeysFormat).
 * A bucket is a span of `bucketMs` (a day by default); bucket b ends at (b + 1) · bucketMs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { RandomSource } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { defineFormat } from '@kith/core/format';
import { openBox, sealBox } from '../peer/sealed-box.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { dataPaths } from './index.ts';

export const ERASURE_BUCKET_MS = 24 * 60 * 60 * 1000;

const ErasureKeysFormat = defineFormat(
  'erasure-keys',
  1,
  64 * 1024,
  Type.Object(
    {
      v: Type.Literal(1),
      buckets: Type.Array(
        Type.Object(
          {
            bucket: Type.Integer({ minimum: 0 }),
            key: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 1000 },
      ),
    },
    { additionalProperties: false },
  ),
);

export const erasureKeysPath = (dataDir: string) => join(dataPaths(dataDir).root, 'keys', 'erasure.keys');

export class ErasureKeys {
  private keys: Map<number, Uint8Array> | undefined;
  /** Writes one at a time, in call order. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly storageKey: () => Uint8Array,
    private readonly random: RandomSource,
    readonly bucketMs: number = ERASURE_BUCKET_MS,
  ) {}

  /** The bucket that ends at or after `eraseAt`: what it seals is erased once it ends. */
  bucketFor(eraseAt: number): number {
    return Math.max(0, Math.ceil(eraseAt / this.bucketMs) - 1);
  }

  private async load(): Promise<Map<number, Uint8Array>> {
    if (this.keys) return this.keys;
    let sealed: Uint8Array | undefined;
    try {
      sealed = new Uint8Array(await readFile(this.path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const keys = new Map<number, Uint8Array>();
    if (sealed) {
      let doc: ReturnType<typeof ErasureKeysFormat.decode>;
      try {
        doc = ErasureKeysFormat.decode(openBox(this.storageKey(), 'erasure-keys', sealed));
      } catch (cause) {
        throw new KithError('KEYSTORE_CORRUPT', `The erasure key file ${this.path} cannot be opened.`, {
          cause,
        });
      }
      for (const b of doc.buckets) keys.set(b.bucket, b.key);
    }
    this.keys = keys;
    return keys;
  }

  private save(keys: Map<number, Uint8Array>): Promise<void> {
    const bytes = ErasureKeysFormat.encode({
      v: 1,
      buckets: [...keys].sort(([a], [b]) => a - b).map(([bucket, key]) => ({ bucket, key })),
    });
    const sealed = sealBox(this.storageKey(), 'erasure-keys', bytes, this.random);
    const next = this.writing.then(() => writeFileAtomic(this.path, sealed));
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** The key of `bucket`, made (and written) when it has none yet. */
  async keyOf(bucket: number): Promise<Uint8Array> {
    const keys = await this.load();
    let key = keys.get(bucket);
    if (!key) {
      key = this.random(32);
      keys.set(bucket, key);
      await this.save(keys);
    }
    return key;
  }

  /** The key of `bucket` if it is not erased. */
  async existing(bucket: number): Promise<Uint8Array | undefined> {
    return (await this.load()).get(bucket);
  }

  /** Erases the keys of the buckets that ended by `now` and are not in `keep`; returns them. */
  async eraseEnded(now: number, keep: ReadonlySet<number>): Promise<number[]> {
    const keys = await this.load();
    const gone = [...keys.keys()].filter((b) => (b + 1) * this.bucketMs <= now && !keep.has(b));
    if (gone.length === 0) return [];
    for (const b of gone) {
      keys.get(b)?.fill(0);
      keys.delete(b);
    }
    await this.save(keys);
    return gone;
  }

  /** Seals under a bucket key, then the storage key. */
  async seal(bucket: number, purpose: string, plaintext: Uint8Array): Promise<Uint8Array> {
    const inner = sealBox(await this.keyOf(bucket), purpose, plaintext, this.random);
    return sealBox(this.storageKey(), purpose, inner, this.random);
  }

  /** Opens what `seal` made; undefined once its bucket is erased. */
  async open(bucket: number, purpose: string, sealed: Uint8Array): Promise<Uint8Array | undefined> {
    const key = await this.existing(bucket);
    if (!key) return undefined;
    return openBox(key, purpose, openBox(this.storageKey(), purpose, sealed));
  }

  /** The device was locked: keys in memory go (read again from the file at the unlock). */
  forget(): void {
    this.keys = undefined;
  }
}
