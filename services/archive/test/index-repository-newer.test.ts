/** IndexRepository.storeNewer: holders keep the highest version of another device's list. */
import { expect, it } from 'vitest';
import { BlobRepository, IndexRepository, QuotaRepository } from '../src/index.ts';
import { ciphertext, forEachDatabase, freshOwner } from './fixture.ts';

forEachDatabase('IndexRepository.storeNewer', (ctx) => {
  const repos = (quotas?: QuotaRepository) => {
    const blobs = new BlobRepository(ctx().db, ctx().clock, quotas ? { quotas } : {});
    return { blobs, index: new IndexRepository(ctx().db, ctx().clock, { blobs }) };
  };

  it('keeps a higher version at the writer’s number, refuses lower and equal ones, and frees replaced blobs', async () => {
    const { blobs, index } = repos();
    const owner = freshOwner();
    const v3 = ciphertext(100);
    expect(
      await index.storeNewer({ ownerId: owner, name: 'active', version: 3, ciphertext: v3 }),
    ).toMatchObject({ status: 'stored', version: 3 });
    expect((await index.get(owner, 'active'))?.version).toBe(3);
    // the same version with the same bytes again: present; other bytes or a lower version: stale
    expect(
      (await index.storeNewer({ ownerId: owner, name: 'active', version: 3, ciphertext: v3 })).status,
    ).toBe('present');
    const other = ciphertext(100);
    expect(await index.storeNewer({ ownerId: owner, name: 'active', version: 3, ciphertext: other })).toEqual(
      { status: 'stale', version: 3 },
    );
    expect(await index.storeNewer({ ownerId: owner, name: 'active', version: 2, ciphertext: other })).toEqual(
      { status: 'stale', version: 3 },
    );
    expect(await blobs.stats(owner)).toEqual({ items: 1, bytes: 100 });
    const v7 = ciphertext(120);
    const stored = await index.storeNewer({ ownerId: owner, name: 'active', version: 7, ciphertext: v7 });
    expect(stored.status).toBe('stored');
    const got = await index.get(owner, 'active');
    expect(got?.version).toBe(7);
    expect(got?.ciphertext).toEqual(v7);
    expect(await blobs.stats(owner)).toEqual({ items: 1, bytes: 120 });
    // a local CAS store continues from the adopted number
    expect(
      (await index.store({ ownerId: owner, name: 'active', ciphertext: ciphertext(10), expectedVersion: 7 }))
        .version,
    ).toBe(8);
    expect(await index.get(owner, 'conversations')).toBeUndefined();
  });

  it('refuses a version below 1 and a list beyond the owner’s quota', async () => {
    const owner = freshOwner();
    const quotas = new QuotaRepository(ctx().db, ctx().clock);
    await quotas.setLimits(owner, { bytes: 150, count: 10 });
    const { index } = repos(quotas);
    await expect(
      index.storeNewer({ ownerId: owner, name: 'active', version: 0, ciphertext: ciphertext(1) }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(
      index.storeNewer({ ownerId: owner, name: 'active', version: 1, ciphertext: ciphertext(200) }),
    ).rejects.toMatchObject({ code: 'ARCHIVE_QUOTA_EXCEEDED' });
    expect(await index.get(owner, 'active')).toBeUndefined();
  });
});
