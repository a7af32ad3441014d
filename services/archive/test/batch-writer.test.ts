import { isKithError } from '@kith/core/errors';
import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { BatchWriter, BlobRepository, blobInput, type PutStatus } from '../src/index.ts';
import { ciphertext, forEachDatabase, freshOwner, transactionsThatWrote } from './fixture.ts';

/** Long enough that only the item/byte bounds, flush() or close() start a batch in these tests. */
const NEVER = 600_000;

forEachDatabase('BatchWriter', (ctx) => {
  const repo = () => new BlobRepository(ctx().db, ctx().clock);

  it('turns many concurrent puts into few transactions (counted in the database)', async () => {
    const blobs = repo();
    const writer = new BatchWriter(blobs, { maxItems: 100, maxDelayMs: NEVER });
    const owner = freshOwner();
    const inputs = Array.from({ length: 300 }, () => blobInput(owner, 'current', ciphertext(64)));
    const statuses = await Promise.all(inputs.map((b) => writer.put(b)));
    expect(statuses.every((s) => s === 'stored')).toBe(true);
    expect(writer.stats).toMatchObject({ batches: 3, items: 300, failedBatches: 0, pending: 0 });
    // Rows written by one transaction share its xmin: 300 rows, 3 transactions.
    expect(await transactionsThatWrote(ctx().db, owner)).toBe(3);
    expect(await blobs.stats(owner)).toEqual({ items: 300, bytes: 300 * 64 });
    await writer.close();
  });

  it('with the default window, a burst of puts is written in one transaction per maxItems', async () => {
    const blobs = repo();
    const writer = new BatchWriter(blobs);
    const owner = freshOwner();
    const inputs = Array.from({ length: 1000 }, () => blobInput(owner, 'current', ciphertext(32)));
    await Promise.all(inputs.map((b) => writer.put(b)));
    expect(writer.stats.batches).toBe(2);
    expect(await transactionsThatWrote(ctx().db, owner)).toBe(2);
    await writer.close();
  });

  it('puts that arrive while a batch is being written go together into the next one', async () => {
    const blobs = repo();
    // A 1000-byte blob fills the byte bound and starts a batch at once; 20 small ones follow.
    const writer = new BatchWriter(blobs, { maxBytes: 1000, maxDelayMs: NEVER });
    const owner = freshOwner();
    const first = writer.put(blobInput(owner, 'current', ciphertext(1000)));
    const rest = Array.from({ length: 20 }, () => writer.put(blobInput(owner, 'current', ciphertext(10))));
    await Promise.all([first, ...rest]);
    expect(writer.stats.batches).toBe(2);
    expect(await transactionsThatWrote(ctx().db, owner)).toBe(2);
    await writer.close();
  });

  it('several transactions in flight over shared owners and shared blobs neither deadlock nor miscount', async () => {
    const blobs = repo();
    const writer = new BatchWriter(blobs, { maxItems: 7, maxDelayMs: 0, maxInFlight: 4 });
    const owners = [freshOwner(), freshOwner(), freshOwner()];
    const payloads = Array.from({ length: 60 }, () => ciphertext(16));
    // Each payload is put three times, under rotating owners, in an interleaved order. Rows are
    // keyed by (owner, id), so each owner stores its own copy of every payload.
    const puts = [0, 1, 2].flatMap((round) =>
      payloads.map((bytes, i) => writer.put(blobInput(owners[(i + round) % 3]!, 'current', bytes))),
    );
    const statuses = await Promise.all(puts);
    expect(statuses.filter((s) => s === 'stored')).toHaveLength(180);
    let items = 0;
    for (const owner of owners) {
      const stats = await blobs.stats(owner);
      expect(await blobs.quotas.usage(owner)).toMatchObject({
        usedCount: stats.items,
        usedBytes: stats.bytes,
      });
      items += stats.items;
    }
    expect(items).toBe(180);
    expect(writer.stats.failedBatches).toBe(0);
    await writer.close();
  });

  it('the same blob twice is not an error: stored once, then present', async () => {
    const writer = new BatchWriter(repo(), { maxDelayMs: NEVER });
    const blob = blobInput(freshOwner(), 'current', ciphertext(16));
    const together = [writer.put(blob), writer.put(blob)];
    await writer.flush();
    expect(await Promise.all(together)).toEqual(['stored', 'present']);
    const again = writer.put(blob);
    await writer.flush();
    expect(await again).toBe('present');
    await writer.close();
  });

  it('a refused blob rejects only its own caller', async () => {
    const blobs = repo();
    const owner = freshOwner();
    await blobs.quotas.setLimits(owner, { count: 3 });
    const writer = new BatchWriter(blobs, { maxDelayMs: NEVER });
    const good = blobInput(owner, 'current', ciphertext(8));
    const forged = { ...blobInput(owner, 'current', ciphertext(8)), id: good.id.slice().reverse() };
    const puts = [
      writer.put(good),
      writer.put(forged),
      ...Array.from({ length: 4 }, () => writer.put(blobInput(owner, 'current', ciphertext(8)))),
    ];
    await writer.flush();
    const results = await Promise.allSettled(puts);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
    ]);
    const codes = results.map((r) =>
      r.status === 'rejected' ? (r.reason as { code: string }).code : r.value,
    );
    expect(codes).toEqual([
      'stored',
      'ARCHIVE_BLOB_ID_MISMATCH',
      'stored',
      'stored',
      'ARCHIVE_QUOTA_EXCEEDED',
      'ARCHIVE_QUOTA_EXCEEDED',
    ]);
    expect(writer.stats.batches).toBe(1);
    await writer.close();
  });

  it('a failing transaction rejects every caller of that batch and writes none of it', async () => {
    const { db } = ctx();
    // A real database error in the middle of the batch: a trigger refusing one owner's rows.
    await db.execute(sql`create or replace function archive_test_refuse() returns trigger language plpgsql as $$
      begin
        if new.owner_id = 'refused-owner' then raise exception 'refused by the test trigger'; end if;
        return new;
      end $$`);
    await db.execute(sql`create trigger archive_test_refuse before insert on archive_blobs
      for each row execute function archive_test_refuse()`);
    try {
      const blobs = repo();
      const writer = new BatchWriter(blobs, { maxDelayMs: NEVER });
      const owner = freshOwner();
      const inputs = Array.from({ length: 10 }, (_, i) =>
        blobInput(i === 6 ? 'refused-owner' : owner, 'current', ciphertext(24)),
      );
      const puts = inputs.map((b) => writer.put(b));
      await writer.flush();
      const results = await Promise.allSettled(puts);
      expect(results.every((r) => r.status === 'rejected')).toBe(true);
      const reasons = results.map((r) => (r.status === 'rejected' ? r.reason : undefined));
      expect(reasons.every((e) => isKithError(e, 'ARCHIVE_WRITE_FAILED'))).toBe(true);
      expect(new Set(reasons).size).toBe(1); // the same error for all
      expect((reasons[0] as Error).message).toContain('refused by the test trigger');
      expect(writer.stats).toMatchObject({ batches: 0, failedBatches: 1 });
      for (const b of inputs) expect(await blobs.has(b.ownerId, b.id)).toBe(false);
      expect(await blobs.quotas.usage(owner)).toMatchObject({ usedBytes: 0, usedCount: 0 });

      // The writer goes on: the next batch (without the refused owner) is stored.
      const next = inputs.filter((_, i) => i !== 6).map((b) => writer.put(b));
      await writer.flush();
      expect(new Set(await Promise.all(next))).toEqual(new Set<PutStatus>(['stored']));
      expect(await blobs.stats(owner)).toEqual({ items: 9, bytes: 9 * 24 });
      await writer.close();
    } finally {
      await db.execute(sql`drop trigger archive_test_refuse on archive_blobs`);
      await db.execute(sql`drop function archive_test_refuse()`);
    }
  });

  it('close() writes everything queued, then refuses new puts', async () => {
    const blobs = repo();
    const writer = new BatchWriter(blobs, { maxDelayMs: NEVER });
    const owner = freshOwner();
    const puts = Array.from({ length: 25 }, () => writer.put(blobInput(owner, 'history', ciphertext(40))));
    // Nothing is written before the window ends or the writer is flushed.
    await new Promise((resolve) => setImmediate(resolve));
    expect(writer.stats.pending).toBe(25);
    expect(await blobs.stats(owner)).toEqual({ items: 0, bytes: 0 });
    await writer.close();
    expect(writer.stats).toMatchObject({ pending: 0, batches: 1, items: 25 });
    expect(await blobs.stats(owner)).toEqual({ items: 25, bytes: 25 * 40 });
    expect(new Set(await Promise.all(puts))).toEqual(new Set<PutStatus>(['stored']));
    await expect(writer.put(blobInput(owner, 'history', ciphertext(1)))).rejects.toMatchObject({
      code: 'ARCHIVE_WRITER_CLOSED',
    });
    await writer.close(); // idempotent
  });

  it('the window: a lone put is written when the window ends, without flush()', async () => {
    const blobs = repo();
    const writer = new BatchWriter(blobs, { maxDelayMs: 1 });
    const blob = blobInput(freshOwner(), 'current', ciphertext(5));
    expect(await writer.put(blob)).toBe('stored');
    expect(await blobs.has(blob.ownerId, blob.id)).toBe(true);
    await writer.close();
  });

  it('rejects nonsensical options', () => {
    expect(() => new BatchWriter(repo(), { maxItems: 0 })).toThrow(/maxItems/);
    expect(() => new BatchWriter(repo(), { maxDelayMs: -1 })).toThrow(/maxDelayMs/);
    expect(() => new BatchWriter(repo(), { maxInFlight: 0 })).toThrow(/maxInFlight/);
  });
});
