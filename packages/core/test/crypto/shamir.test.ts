/** Shamir secret sharing (src/crypto/shamir.ts): thresholds, parameter checks, properties. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { combineShares, splitSecret } from '../../src/crypto/shamir.ts';

/** Every k-element subset of xs (small inputs only). */
function subsets<T>(xs: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [head, ...rest] = xs;
  return [...subsets(rest, k - 1).map((s) => [head as T, ...s]), ...subsets(rest, k)];
}

describe('splitSecret / combineShares', () => {
  it('2-of-3: every pair recovers, and shares are one byte longer than the secret', async () => {
    const secret = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    const shares = await splitSecret(secret, 3, 2);
    expect(shares).toHaveLength(3);
    for (const share of shares) expect(share).toHaveLength(33);
    for (const pair of subsets(shares, 2)) expect(await combineShares(pair)).toEqual(secret);
    expect(await combineShares(shares)).toEqual(secret);
  });

  it('any t of n shares recover the secret; t - 1 shares do not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 48 }),
        fc.integer({ min: 2, max: 6 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 2, max: n }))),
        fc.nat(),
        async (secret, [n, t], pick) => {
          const shares = await splitSecret(secret, n, t);
          const choices = subsets(shares, t);
          expect(await combineShares(choices[pick % choices.length]!)).toEqual(secret);
          if (t > 2) {
            // Fewer than t shares give unrelated bytes (a 32-byte match has probability 2^-256).
            const fewer = subsets(shares, t - 1);
            expect(await combineShares(fewer[pick % fewer.length]!)).not.toEqual(secret);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('accepts the extremes 2-of-2 and 255-of-255', async () => {
    const secret = Uint8Array.of(1, 2, 3);
    expect(await combineShares(await splitSecret(secret, 2, 2))).toEqual(secret);
    const many = await splitSecret(secret, 255, 255);
    expect(new Set(many.map((s) => s[3])).size).toBe(255);
    expect(await combineShares(many)).toEqual(secret);
  });

  it.each([
    [1, 1],
    [3, 1],
    [2, 3],
    [256, 2],
    [3, 2.5],
    [Number.NaN, 2],
  ])('refuses n = %s, t = %s with SHAMIR_BAD_PARAMETERS', async (n, t) => {
    await expect(splitSecret(Uint8Array.of(1), n, t)).rejects.toMatchObject({
      code: 'SHAMIR_BAD_PARAMETERS',
    });
  });

  it('refuses an empty secret', async () => {
    await expect(splitSecret(new Uint8Array(0), 3, 2)).rejects.toMatchObject({
      code: 'SHAMIR_BAD_PARAMETERS',
    });
  });

  it('refuses duplicate, mismatched, malformed or too few shares with SHAMIR_BAD_SHARES', async () => {
    const shares = await splitSecret(Uint8Array.of(9, 9, 9, 9), 3, 2);
    const [a, b] = shares as [Uint8Array, Uint8Array];
    const bad = [
      [a],
      [a, a],
      [a, b.subarray(1)],
      [Uint8Array.of(1), Uint8Array.of(2)],
      [a, Uint8Array.of(1, 2, 3, 4, 0)],
    ];
    for (const set of bad)
      await expect(combineShares(set)).rejects.toMatchObject({ code: 'SHAMIR_BAD_SHARES' });
  });

  it('accepts Buffers as well as plain Uint8Arrays', async () => {
    const secret = Buffer.from('kith share test');
    const shares = await splitSecret(secret, 3, 3);
    expect(await combineShares(shares.map((s) => Buffer.from(s)))).toEqual(new Uint8Array(secret));
  });
});
