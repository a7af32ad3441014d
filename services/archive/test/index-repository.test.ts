import { isKithError } from '@kith/core/errors';
import { expect, it } from 'vitest';
import { BlobRepository, IndexRepository, QuotaRepository } from '../src/index.ts';
import { ciphertext, forEachDatabase, freshOwner } from './fixture.ts';

forEachDatabase('IndexRepository', (ctx) => {
  const repos = () => {
    const blobs = new BlobRepository(ctx().db, ctx().clock);
    return { blobs, index: new IndexRepository(ctx().db, ctx().clock, { blobs }) };
  };

  it('stores and reads both encrypted lists per owner, versions counting from 1', async () => {
    const { index } = repos();
    const owner = freshOwner();
    expect(await index.get(owner, 'conversations')).toBeUndefined();
    const v1 = ciphertext(200);
    expect(
      (await index.store({ ownerId: owner, name: 'conversations', ciphertext: v1, expectedVersion: 0 }))
        .version,
    ).toBe(1);
    const active = ciphertext(50);
    await index.store({ ownerId: owner, name: 'active', ciphertext: active, expectedVersion: 0 });
    ctx().advance(500);
    const v2 = ciphertext(210);
    const stored = await index.store({
      ownerId: owner,
      name: 'conversations',
      ciphertext: v2,
      expectedVersion: 1,
    });
    expect(stored.version).toBe(2);
    const got = await index.get(owner, 'conversations');
    expect(got).toMatchObject({ ownerId: owner, name: 'conversations', version: 2 });
    expect(got?.ciphertext).toEqual(v2);
    expect(got?.blobId).toEqual(stored.blobId);
    expect(got?.updatedAt.getTime()).toBe(ctx().clock());
    expect((await index.get(owner, 'active'))?.ciphertext).toEqual(active);
    expect(await index.get(freshOwner(), 'active')).toBeUndefined();
  });

  it('refuses a store based on a stale version (optimistic concurrency) and changes nothing', async () => {
    const { index, blobs } = repos();
    const owner = freshOwner();
    await index.store({ ownerId: owner, name: 'active', ciphertext: ciphertext(10), expectedVersion: 0 });
    const current = ciphertext(11);
    await index.store({ ownerId: owner, name: 'active', ciphertext: current, expectedVersion: 1 });
    const before = await blobs.stats(owner);
    const stale = await index
      .store({ ownerId: owner, name: 'active', ciphertext: ciphertext(12), expectedVersion: 1 })
      .catch((e: unknown) => e);
    expect(isKithError(stale, 'ARCHIVE_VERSION_CONFLICT')).toBe(true);
    expect((stale as Error).message).toContain('expected at version 1 but is at version 2');
    await expect(
      index.store({ ownerId: owner, name: 'active', ciphertext: ciphertext(12), expectedVersion: 0 }),
    ).rejects.toMatchObject({ code: 'ARCHIVE_VERSION_CONFLICT' });
    await expect(
      index.store({ ownerId: freshOwner(), name: 'active', ciphertext: ciphertext(12), expectedVersion: 3 }),
    ).rejects.toMatchObject({ code: 'ARCHIVE_VERSION_CONFLICT' });
    expect((await index.get(owner, 'active'))?.ciphertext).toEqual(current);
    // The refused version's blob was rolled back with it.
    expect(await blobs.stats(owner)).toEqual(before);
  });

  it('of two devices storing on the same version, exactly one wins', async () => {
    const { index } = repos();
    const other = repos();
    const owner = freshOwner();
    await index.store({
      ownerId: owner,
      name: 'conversations',
      ciphertext: ciphertext(10),
      expectedVersion: 0,
    });
    const results = await Promise.allSettled([
      index.store({ ownerId: owner, name: 'conversations', ciphertext: ciphertext(20), expectedVersion: 1 }),
      other.index.store({
        ownerId: owner,
        name: 'conversations',
        ciphertext: ciphertext(30),
        expectedVersion: 1,
      }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected');
    expect(isKithError(lost?.reason, 'ARCHIVE_VERSION_CONFLICT')).toBe(true);
    expect((await index.get(owner, 'conversations'))?.version).toBe(2);
  });

  it('replacing a version deletes the old blob; its room comes back; the current one cannot be deleted', async () => {
    const quotas = new QuotaRepository(ctx().db, ctx().clock);
    const blobs = new BlobRepository(ctx().db, ctx().clock, { quotas });
    const index = new IndexRepository(ctx().db, ctx().clock, { blobs });
    const owner = freshOwner();
    const first = await index.store({
      ownerId: owner,
      name: 'conversations',
      ciphertext: ciphertext(100),
      expectedVersion: 0,
    });
    const second = await index.store({
      ownerId: owner,
      name: 'conversations',
      ciphertext: ciphertext(70),
      expectedVersion: 1,
    });
    expect(await blobs.has(owner, first.blobId)).toBe(false);
    expect(await blobs.stats(owner)).toEqual({ items: 1, bytes: 70 });
    expect(await quotas.usage(owner)).toMatchObject({ usedBytes: 70, usedCount: 1 });
    expect((await blobs.get(owner, second.blobId))?.kind).toBe('index');
    await expect(blobs.delete(owner, second.blobId)).rejects.toMatchObject({ code: 'ARCHIVE_BLOB_IN_USE' });
    expect(await blobs.has(owner, second.blobId)).toBe(true);
    // Storing the same bytes again moves the version on and keeps the blob.
    const same = await index.store({
      ownerId: owner,
      name: 'conversations',
      ciphertext: (await blobs.get(owner, second.blobId))!.ciphertext,
      expectedVersion: 2,
    });
    expect(same.version).toBe(3);
    expect(await blobs.has(owner, second.blobId)).toBe(true);
  });

  it('an index beyond the owner’s quota is refused and the old version stays', async () => {
    const quotas = new QuotaRepository(ctx().db, ctx().clock);
    const blobs = new BlobRepository(ctx().db, ctx().clock, { quotas });
    const index = new IndexRepository(ctx().db, ctx().clock, { blobs });
    const owner = freshOwner();
    await quotas.setLimits(owner, { bytes: 150 });
    await index.store({ ownerId: owner, name: 'active', ciphertext: ciphertext(100), expectedVersion: 0 });
    await expect(
      index.store({ ownerId: owner, name: 'active', ciphertext: ciphertext(100), expectedVersion: 1 }),
    ).rejects.toMatchObject({ code: 'ARCHIVE_QUOTA_EXCEEDED' });
    expect((await index.get(owner, 'active'))?.version).toBe(1);
    await expect(
      index.store({ ownerId: owner, name: 'active', ciphertext: ciphertext(1), expectedVersion: -1 }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
