import fc from 'fast-check';
import { expect, it } from 'vitest';
import { BlobRepository, type BlobInput, blobInput, QuotaRepository } from '../src/index.ts';
import { forEachDatabase, freshOwner } from './fixture.ts';

/**
 * Model-based property: any sequence of batched puts (with duplicates, two owners, tight quotas)
 * and deletes leaves stats() and the quota usage equal to a plain in-memory model, and every
 * put outcome is the one the model predicts. Rows are keyed by (owner, id): the same bytes
 * under two owners are two rows, each counted for its owner.
 */
type Op =
  | { kind: 'put'; items: { owner: number; payload: number }[] }
  | { kind: 'delete'; owner: number; payloads: number[] };

const LIMIT = { bytes: 120, count: 5 };
const PAYLOADS = 10;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('put' as const),
    items: fc.array(fc.record({ owner: fc.nat(1), payload: fc.nat(PAYLOADS - 1) }), {
      minLength: 1,
      maxLength: 6,
    }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    owner: fc.nat(1),
    payloads: fc.array(fc.nat(PAYLOADS - 1), { minLength: 1, maxLength: 3 }),
  }),
);

forEachDatabase('archive model', (ctx) => {
  it('random put/delete sequences keep stats() and quota usage equal to a model', async () => {
    const quotas = new QuotaRepository(ctx().db, ctx().clock, { defaults: LIMIT });
    const blobs = new BlobRepository(ctx().db, ctx().clock, { quotas });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 60 }), { minLength: PAYLOADS, maxLength: PAYLOADS }),
        fc.array(opArb, { minLength: 1, maxLength: 12 }),
        async (sizes, ops) => {
          run++;
          const owners = [freshOwner(), freshOwner()];
          // Payload bytes unique to this run, so runs sharing the database never dedupe across.
          const payload = sizes.map((size, p) => {
            const bytes = new Uint8Array(size + 6);
            new DataView(bytes.buffer).setUint32(0, run);
            bytes[4] = p;
            bytes[5] = 0xee;
            return bytes;
          });
          /** owner index / id hex -> owner index and size: what should be stored. */
          const model = new Map<string, { owner: number; size: number }>();
          const inputFor = (owner: number, p: number): BlobInput =>
            blobInput(owners[owner]!, 'current', payload[p]!);
          const key = (owner: number, p: number) =>
            `${owner}/${Buffer.from(inputFor(0, p).id).toString('hex')}`;

          for (const op of ops) {
            if (op.kind === 'put') {
              const expected: string[] = [];
              const seen = new Set<string>();
              for (const { owner, payload: p } of op.items) {
                const k = key(owner, p);
                if (seen.has(k) || model.has(k)) {
                  // A duplicate follows the first occurrence: refused stays refused, else present.
                  expected.push(seen.has(k) && !model.has(k) ? 'refused' : 'present');
                  continue;
                }
                seen.add(k);
                const size = payload[p]!.length;
                const used = [...model.values()].filter((v) => v.owner === owner);
                const bytes = used.reduce((n, v) => n + v.size, 0);
                if (bytes + size > LIMIT.bytes || used.length + 1 > LIMIT.count) {
                  expected.push('refused');
                } else {
                  model.set(k, { owner, size });
                  expected.push('stored');
                }
              }
              const outcomes = await blobs.putMany(
                op.items.map(({ owner, payload: p }) => inputFor(owner, p)),
              );
              expect(outcomes.map((o) => o.status)).toEqual(expected);
            } else {
              const ids = op.payloads.map((p) => inputFor(0, p).id);
              const existing = new Set(op.payloads.map((p) => key(op.owner, p)).filter((k) => model.has(k)));
              for (const k of existing) model.delete(k);
              expect(await blobs.delete(owners[op.owner]!, ids)).toBe(existing.size);
            }
            for (const [i, owner] of owners.entries()) {
              const mine = [...model.values()].filter((v) => v.owner === i);
              const want = { items: mine.length, bytes: mine.reduce((n, v) => n + v.size, 0) };
              expect(await blobs.stats(owner)).toEqual(want);
              expect(await quotas.usage(owner)).toMatchObject({
                usedCount: want.items,
                usedBytes: want.bytes,
              });
            }
          }
          // Leave nothing behind for the next run's global figures.
          for (const owner of owners)
            await blobs.delete(
              owner,
              payload.map((_, p) => inputFor(0, p).id),
            );
        },
      ),
      { numRuns: 40 },
    );
  });
});
