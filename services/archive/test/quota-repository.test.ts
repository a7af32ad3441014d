import { isKithError } from '@kith/core/errors';
import { expect, it } from 'vitest';
import { BlobRepository, blobInput, DEFAULT_QUOTA, QuotaRepository } from '../src/index.ts';
import { ciphertext, forEachDatabase, freshOwner } from './fixture.ts';

forEachDatabase('QuotaRepository', (ctx) => {
  const repos = (defaults?: { bytes: number; count: number }) => {
    const quotas = new QuotaRepository(ctx().db, ctx().clock, defaults ? { defaults } : {});
    return { quotas, blobs: new BlobRepository(ctx().db, ctx().clock, { quotas }) };
  };

  it('an owner never seen has zero usage and the default limits', async () => {
    const { quotas } = repos();
    expect(await quotas.usage(freshOwner())).toMatchObject({
      usedBytes: 0,
      usedCount: 0,
      limitBytes: DEFAULT_QUOTA.bytes,
      limitCount: DEFAULT_QUOTA.count,
    });
  });

  it('refuses a put beyond the byte limit with ARCHIVE_QUOTA_EXCEEDED naming the bytes', async () => {
    const { quotas, blobs } = repos();
    const owner = freshOwner();
    await quotas.setLimits(owner, { bytes: 100 });
    expect(await blobs.put(blobInput(owner, 'current', ciphertext(60)))).toBe('stored');
    const error = await blobs.put(blobInput(owner, 'current', ciphertext(41))).catch((e: unknown) => e);
    expect(isKithError(error, 'ARCHIVE_QUOTA_EXCEEDED')).toBe(true);
    expect((error as Error).message).toContain(
      '41 more bytes would make 101 bytes, over the limit of 100 bytes',
    );
    expect((error as Error).message).toContain(owner);
    // Exactly up to the limit is fine.
    expect(await blobs.put(blobInput(owner, 'current', ciphertext(40)))).toBe('stored');
    expect(await quotas.usage(owner)).toMatchObject({ usedBytes: 100, usedCount: 2, limitBytes: 100 });
  });

  it('refuses a put beyond the item limit, naming the count', async () => {
    const { quotas, blobs } = repos();
    const owner = freshOwner();
    await quotas.setLimits(owner, { count: 2 });
    const outcomes = await blobs.putMany([1, 2, 3].map((n) => blobInput(owner, 'current', ciphertext(n))));
    expect(outcomes.map((o) => o.status)).toEqual(['stored', 'stored', 'refused']);
    const refused = outcomes[2];
    expect(refused?.status === 'refused' && refused.error.code).toBe('ARCHIVE_QUOTA_EXCEEDED');
    expect(refused?.status === 'refused' && refused.error.message).toContain('over the limit of 2 items');
    expect(await blobs.stats(owner)).toEqual({ items: 2, bytes: 3 });
  });

  it('near the limit, blobs already stored cost nothing and later small ones still fit', async () => {
    const { quotas, blobs } = repos();
    const owner = freshOwner();
    await quotas.setLimits(owner, { bytes: 50 });
    const a = blobInput(owner, 'current', ciphertext(30));
    await blobs.put(a);
    const big = blobInput(owner, 'current', ciphertext(30));
    const small = blobInput(owner, 'current', ciphertext(20));
    const outcomes = await blobs.putMany([a, big, small]);
    expect(outcomes.map((o) => o.status)).toEqual(['present', 'refused', 'stored']);
    expect(await quotas.usage(owner)).toMatchObject({ usedBytes: 50, usedCount: 2 });
  });

  it('deleting gives the room back', async () => {
    const { quotas, blobs } = repos({ bytes: 10, count: 100 });
    const owner = freshOwner();
    const a = blobInput(owner, 'current', ciphertext(10));
    await blobs.put(a);
    const b = blobInput(owner, 'current', ciphertext(10));
    await expect(blobs.put(b)).rejects.toMatchObject({ code: 'ARCHIVE_QUOTA_EXCEEDED' });
    await blobs.delete(owner, a.id);
    expect(await blobs.put(b)).toBe('stored');
    expect(await quotas.usage(owner)).toMatchObject({ usedBytes: 10, usedCount: 1, limitBytes: 10 });
  });

  it('limits are per owner; null returns a limit to the default; bad limits are refused', async () => {
    const { quotas, blobs } = repos({ bytes: 1000, count: 1000 });
    const [small, other] = [freshOwner(), freshOwner()];
    await quotas.setLimits(small, { bytes: 5, count: 7 });
    await expect(blobs.put(blobInput(small, 'current', ciphertext(6)))).rejects.toMatchObject({
      code: 'ARCHIVE_QUOTA_EXCEEDED',
    });
    expect(await blobs.put(blobInput(other, 'current', ciphertext(6)))).toBe('stored');
    expect(await quotas.setLimits(small, { bytes: null })).toMatchObject({ limitBytes: 1000, limitCount: 7 });
    expect(await blobs.put(blobInput(small, 'current', ciphertext(6)))).toBe('stored');
    await expect(quotas.setLimits(small, { bytes: -1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(quotas.setLimits(small, { count: 1.5 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('concurrent puts by two repositories never exceed the limit together', async () => {
    const owner = freshOwner();
    const first = repos();
    await first.quotas.setLimits(owner, { count: 10 });
    const second = repos();
    const inputs = Array.from({ length: 30 }, (_, i) => blobInput(owner, 'current', ciphertext(i + 1)));
    const results = await Promise.allSettled(
      inputs.map((b, i) => (i % 2 ? first.blobs : second.blobs).put(b)),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(10);
    expect(await first.blobs.stats(owner)).toMatchObject({ items: 10 });
    expect(await first.quotas.usage(owner)).toMatchObject({ usedCount: 10 });
  });
});
