import { expect, it } from 'vitest';
import { BlobRepository, blobInput, contentId, HolderRepository } from '../src/index.ts';
import { ciphertext, forEachDatabase, freshOwner } from './fixture.ts';

const hex = (id: Uint8Array) => Buffer.from(id).toString('hex');

forEachDatabase('HolderRepository', (ctx) => {
  const repos = () => ({
    blobs: new BlobRepository(ctx().db, ctx().clock),
    holders: new HolderRepository(ctx().db, ctx().clock),
  });
  const receipt = (n: number) => Uint8Array.from([0xa0, n]);

  it('records receipts and lists the holders of a blob', async () => {
    const { blobs, holders } = repos();
    const blob = blobInput(freshOwner(), 'history', ciphertext(40));
    await blobs.put(blob);
    await holders.recordReceipt({
      ownerId: blob.ownerId,
      blobId: blob.id,
      deviceId: 'dev-b',
      receipt: receipt(2),
    });
    ctx().advance(1000);
    await holders.recordReceipt({
      ownerId: blob.ownerId,
      blobId: blob.id,
      deviceId: 'dev-a',
      receipt: receipt(1),
    });
    const list = await holders.holdersOf(blob.id);
    expect(list.map((h) => h.deviceId)).toEqual(['dev-a', 'dev-b']);
    expect(list[0]).toMatchObject({ status: 'held', checkedAt: null, checkPassed: null });
    expect(list[0]?.receipt).toEqual(receipt(1));
    expect(list[0]?.receiptAt.getTime()).toBe(ctx().clock());
    expect(list[1]?.receiptAt.getTime()).toBe(ctx().clock() - 1000);
    // A renewed receipt replaces the old one.
    await holders.recordReceipt({
      ownerId: blob.ownerId,
      blobId: blob.id,
      deviceId: 'dev-a',
      receipt: receipt(9),
      receiptAt: new Date(5),
    });
    const renewed = (await holders.holdersOf(blob.id))[0];
    expect(renewed?.receipt).toEqual(receipt(9));
    expect(renewed?.receiptAt.getTime()).toBe(5);
  });

  it('a receipt for a blob the store does not have is NOT_FOUND', async () => {
    const { holders } = repos();
    await expect(
      holders.recordReceipt({
        ownerId: freshOwner(),
        blobId: contentId(ciphertext(8)),
        deviceId: 'dev-a',
        receipt: receipt(1),
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('finds blobs with fewer than r held copies; failed checks and lost devices stop counting', async () => {
    const { blobs, holders } = repos();
    // Devices of their own: markLost(devA) below must not touch other tests' rows.
    const [devA, devB] = [`a-${freshOwner()}`, `b-${freshOwner()}`];
    const owner = freshOwner();
    const [zero, one, two] = [0, 1, 2].map(() => blobInput(owner, 'history', ciphertext(16)));
    await blobs.putMany([zero!, one!, two!]);
    await holders.recordReceipt({
      ownerId: one!.ownerId,
      blobId: one!.id,
      deviceId: devA,
      receipt: receipt(1),
    });
    await holders.recordReceipt({
      ownerId: two!.ownerId,
      blobId: two!.id,
      deviceId: devA,
      receipt: receipt(1),
    });
    await holders.recordReceipt({
      ownerId: two!.ownerId,
      blobId: two!.id,
      deviceId: devB,
      receipt: receipt(2),
    });
    const under = async (r: number) =>
      (await holders.underReplicated(r, { ownerId: owner })).map((u) => [hex(u.blobId), u.holders]);
    expect(await under(2)).toEqual([
      [hex(zero!.id), 0],
      [hex(one!.id), 1],
    ]);
    expect(await under(1)).toEqual([[hex(zero!.id), 0]]);
    expect(await under(3)).toHaveLength(3);

    // dev-b fails a possession check: `two` drops to one good copy.
    ctx().advance(10);
    expect(await holders.recordCheck(two!.id, devB, false)).toBe(true);
    const failed = (await holders.holdersOf(two!.id)).find((h) => h.deviceId === devB);
    expect(failed).toMatchObject({ status: 'failed', checkPassed: false });
    expect(failed?.checkedAt?.getTime()).toBe(ctx().clock());
    expect((await under(2)).map(([id]) => id)).toContain(hex(two!.id));
    // ...and passes the next one: it counts again.
    expect(await holders.recordCheck(two!.id, devB, true)).toBe(true);
    expect((await under(2)).map(([id]) => id)).not.toContain(hex(two!.id));
    expect(await holders.recordCheck(two!.id, 'dev-x', true)).toBe(false);

    // dev-a is lost: every copy it held stops counting.
    expect(await holders.markLost(devA)).toBe(2);
    expect(await holders.markLost(devA)).toBe(0);
    // Fewest copies first, then id order.
    const noCopies = [hex(zero!.id), hex(one!.id)].sort().map((id) => [id, 0]);
    expect(await under(2)).toEqual([...noCopies, [hex(two!.id), 1]]);
    // A lost holder stays lost whatever a late check says; a new receipt brings it back.
    await holders.recordCheck(one!.id, devA, true);
    expect((await holders.holdersOf(one!.id))[0]?.status).toBe('lost');
    await holders.recordReceipt({
      ownerId: one!.ownerId,
      blobId: one!.id,
      deviceId: devA,
      receipt: receipt(3),
    });
    expect((await holders.holdersOf(one!.id))[0]?.status).toBe('held');
  });

  it('marks only the named copies lost when blob ids are given; other owners are not listed', async () => {
    const { blobs, holders } = repos();
    const owner = freshOwner();
    const a = blobInput(owner, 'current', ciphertext(16));
    const b = blobInput(owner, 'current', ciphertext(16));
    await blobs.putMany([a, b]);
    for (const blob of [a, b]) {
      await holders.recordReceipt({
        ownerId: blob.ownerId,
        blobId: blob.id,
        deviceId: 'dev-c',
        receipt: receipt(1),
      });
    }
    expect(await holders.markLost('dev-c', [a.id])).toBe(1);
    expect(await holders.markLost('dev-c', [])).toBe(0);
    expect((await holders.underReplicated(1, { ownerId: owner })).map((u) => hex(u.blobId))).toEqual([
      hex(a.id),
    ]);
    const everyone = await holders.underReplicated(1, { limit: 100_000 });
    expect(everyone.some((u) => u.ownerId !== owner)).toBe(true);
    expect(await holders.underReplicated(1, { ownerId: freshOwner() })).toEqual([]);
    await expect(holders.underReplicated(0)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('deleting a blob deletes its ledger rows', async () => {
    const { blobs, holders } = repos();
    const blob = blobInput(freshOwner(), 'current', ciphertext(16));
    await blobs.put(blob);
    await holders.recordReceipt({
      ownerId: blob.ownerId,
      blobId: blob.id,
      deviceId: 'dev-a',
      receipt: receipt(1),
    });
    await blobs.delete(blob.ownerId, blob.id);
    expect(await holders.holdersOf(blob.id)).toEqual([]);
  });
});
