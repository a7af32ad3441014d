import { nobleBackend } from '@kith/core/crypto/index';
import { nativeBackend } from '@kith/core/crypto/native';
import { isKithError } from '@kith/core/errors';
import { frameWithLabel, HASH } from '@kith/core/labels';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlobRepository, blobInput, contentId, MAX_BLOB_BYTES } from '../src/index.ts';
import { ciphertext, forEachDatabase, freshOwner } from './fixture.ts';

describe('contentId', () => {
  it('is SHA-256 over the content label frame and the bytes (same as the core backends)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const framed = frameWithLabel(HASH.CONTENT, bytes);
        expect(contentId(bytes)).toEqual(nobleBackend.sha256(framed));
        expect(contentId(bytes)).toEqual(nativeBackend.sha256(framed));
      }),
      { numRuns: 50 },
    );
  });

  it('is 32 bytes, depends on every byte, and differs from a bare SHA-256', async () => {
    const { createHash } = await import('node:crypto');
    const bytes = Uint8Array.from([1, 2, 3]);
    const id = contentId(bytes);
    expect(id.length).toBe(32);
    expect(Buffer.compare(id, contentId(Uint8Array.from([1, 2, 4])))).not.toBe(0);
    expect(Buffer.compare(id, createHash('sha256').update(bytes).digest())).not.toBe(0);
  });
});

forEachDatabase('BlobRepository', (ctx) => {
  const repo = () => new BlobRepository(ctx().db, ctx().clock);

  it('round-trips ciphertext as a plain Uint8Array, byte for byte (empty, all values, 1 MiB)', async () => {
    const blobs = repo();
    const owner = freshOwner();
    const samples = [
      new Uint8Array(0),
      Uint8Array.from({ length: 256 }, (_, i) => i),
      Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 131) & 0xff),
    ];
    for (const bytes of samples) {
      const input = blobInput(owner, 'history', bytes);
      expect(await blobs.put(input)).toBe('stored');
      const back = await blobs.get(owner, input.id);
      expect(back?.ciphertext.constructor).toBe(Uint8Array);
      expect(back?.id.constructor).toBe(Uint8Array);
      expect(back?.ciphertext.length).toBe(bytes.length);
      expect(Buffer.compare(back!.ciphertext, bytes)).toBe(0);
      expect(back).toMatchObject({ ownerId: owner, kind: 'history', size: bytes.length });
      expect(back?.createdAt.getTime()).toBe(ctx().clock());
    }
  });

  it('round-trips any byte string (property)', async () => {
    const blobs = repo();
    const owner = freshOwner();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const input = blobInput(owner, 'current', bytes);
        await blobs.put(input);
        const back = await blobs.get(owner, input.id);
        expect(back?.ciphertext).toEqual(bytes);
      }),
      { numRuns: 40 },
    );
  });

  it('stores the same bytes once: dedupe by content hash, within a call and across calls', async () => {
    const blobs = repo();
    const owner = freshOwner();
    const a = blobInput(owner, 'current', ciphertext(100));
    const b = blobInput(owner, 'current', ciphertext(50));
    const outcomes = await blobs.putMany([a, b, { ...a, ciphertext: a.ciphertext.slice() }]);
    expect(outcomes.map((o) => o.status)).toEqual(['stored', 'stored', 'present']);
    expect((await blobs.putMany([b, a])).map((o) => o.status)).toEqual(['present', 'present']);
    expect(await blobs.put(a)).toBe('present');
    expect(await blobs.stats(owner)).toEqual({ items: 2, bytes: 150 });
    expect(await blobs.quotas.usage(owner)).toMatchObject({ usedBytes: 150, usedCount: 2 });
    // The same bytes under another owner are that owner's own row, counted for it: an id one
    // user stored first does not stand in for another's (no squatting).
    const other = freshOwner();
    expect(await blobs.put({ ...a, ownerId: other })).toBe('stored');
    expect(await blobs.put({ ...a, ownerId: other })).toBe('present');
    expect(await blobs.stats(other)).toEqual({ items: 1, bytes: 100 });
    expect(await blobs.stats(owner)).toEqual({ items: 2, bytes: 150 });
    expect((await blobs.get(owner, a.id))?.ownerId).toBe(owner);
    expect((await blobs.get(other, a.id))?.ownerId).toBe(other);
    expect(await blobs.get(freshOwner(), a.id)).toBeUndefined();
    // Deleting one owner's row leaves the other's.
    expect(await blobs.delete(other, a.id)).toBe(1);
    expect(await blobs.has(owner, a.id)).toBe(true);
  });

  it('refuses an id that is not the content hash of the bytes, without failing the rest', async () => {
    const blobs = repo();
    const owner = freshOwner();
    const good = blobInput(owner, 'current', ciphertext(10));
    const forged = { ...blobInput(owner, 'current', ciphertext(10)), id: good.id };
    const short = { ...good, id: good.id.subarray(0, 31) };
    const outcomes = await blobs.putMany([forged, good, short]);
    expect(outcomes[0]?.status).toBe('refused');
    expect(outcomes[1]?.status).toBe('stored');
    expect(outcomes[2]?.status).toBe('refused');
    for (const o of [outcomes[0], outcomes[2]]) {
      expect(o?.status === 'refused' && isKithError(o.error, 'ARCHIVE_BLOB_ID_MISMATCH')).toBe(true);
    }
    // What is stored under the id is the real content.
    expect(Buffer.compare((await blobs.get(owner, good.id))!.ciphertext, good.ciphertext)).toBe(0);
    await expect(blobs.put(forged)).rejects.toMatchObject({ code: 'ARCHIVE_BLOB_ID_MISMATCH' });
  });

  it('refuses bad input: oversize, empty owner, unknown kind', async () => {
    const blobs = new BlobRepository(ctx().db, ctx().clock, { maxBlobBytes: 64 });
    const owner = freshOwner();
    await expect(blobs.put(blobInput(owner, 'current', ciphertext(65)))).rejects.toMatchObject({
      code: 'ARCHIVE_BLOB_TOO_LARGE',
    });
    expect(await blobs.put(blobInput(owner, 'current', ciphertext(64)))).toBe('stored');
    await expect(blobs.put(blobInput('', 'current', ciphertext(1)))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(
      blobs.put({ ...blobInput(owner, 'current', ciphertext(1)), kind: 'plain' as 'current' }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(repo().maxBlobBytes).toBe(MAX_BLOB_BYTES);
  });

  it('has, get of a missing id, delete and its effect on stats and usage', async () => {
    const blobs = repo();
    const owner = freshOwner();
    const a = blobInput(owner, 'current', ciphertext(30));
    const b = blobInput(owner, 'history', ciphertext(20));
    await blobs.putMany([a, b]);
    expect(await blobs.has(owner, a.id)).toBe(true);
    expect(await blobs.get(owner, contentId(ciphertext(5)))).toBeUndefined();
    expect(await blobs.has(owner, contentId(ciphertext(5)))).toBe(false);
    expect(await blobs.delete(freshOwner(), a.id)).toBe(0);
    expect(await blobs.delete(owner, a.id)).toBe(1);
    expect(await blobs.delete(owner, [a.id, b.id, contentId(ciphertext(3))])).toBe(1);
    expect(await blobs.delete(owner, [])).toBe(0);
    expect(await blobs.has(owner, a.id)).toBe(false);
    expect(await blobs.stats(owner)).toEqual({ items: 0, bytes: 0 });
    expect(await blobs.quotas.usage(owner)).toMatchObject({ usedBytes: 0, usedCount: 0 });
    // Deleted bytes can be stored again.
    expect(await blobs.put(a)).toBe('stored');
  });

  it('lists an owner’s blobs in id order without their bytes, page by page, by kind', async () => {
    const blobs = repo();
    const owner = freshOwner();
    const inputs = Array.from({ length: 7 }, (_, i) =>
      blobInput(owner, i % 2 ? 'history' : 'current', ciphertext(i + 1)),
    );
    await blobs.putMany(inputs);
    await blobs.put(blobInput(freshOwner(), 'current', ciphertext(3)));
    const sorted = inputs.map((b) => b.id).sort(Buffer.compare);
    const first = await blobs.list(owner, { limit: 4 });
    const rest = await blobs.list(owner, { limit: 4, after: first[first.length - 1]!.id });
    expect([...first, ...rest].map((m) => Buffer.from(m.id).toString('hex'))).toEqual(
      sorted.map((id) => Buffer.from(id).toString('hex')),
    );
    expect(first[0]).not.toHaveProperty('ciphertext');
    expect((await blobs.list(owner, { kind: 'history' })).length).toBe(3);
    expect((await blobs.list(owner, { kind: 'history' })).every((m) => m.kind === 'history')).toBe(true);
  });

  it('stats without an owner counts everyone', async () => {
    const blobs = repo();
    const before = await blobs.stats();
    await blobs.putMany([
      blobInput(freshOwner(), 'current', ciphertext(11)),
      blobInput(freshOwner(), 'current', ciphertext(13)),
    ]);
    expect(await blobs.stats()).toEqual({ items: before.items + 2, bytes: before.bytes + 24 });
  });
});
