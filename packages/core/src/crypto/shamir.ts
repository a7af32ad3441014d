/**
 * Shamir secret sharing over GF(2^8) (docs/DESIGN.md §5, envelope thresholds t >= 2), wrapping the
 * audited `shamir-secret-sharing` package. A share is the secret's length plus one byte: the
 * last byte is the share's x-coordinate (1..255).
 *
 * Randomness: the package draws the polynomial coefficients and the x-coordinates from the
 * platform CSPRNG (`crypto.getRandomValues`) and takes no random source; this is the second
 * documented exception to core's injected-randomness rule (docs/SECURITY.md).
 *
 * `combineShares` cannot tell a wrong or too-small set of shares from a right one: it returns
 * some bytes either way. Callers must authenticate the result (the envelope does, with AEAD).
 */
import { combine, split } from 'shamir-secret-sharing';
import { KithError } from '../errors.ts';

export const MAX_SHARES = 255;

function assertCount(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 2 || value > MAX_SHARES) {
    throw new KithError('SHAMIR_BAD_PARAMETERS', `${what} must be a whole number from 2 to ${MAX_SHARES}.`);
  }
}

/** Split `secret` into `n` shares of which any `t` recover it (2 <= t <= n <= 255). */
export async function splitSecret(secret: Uint8Array, n: number, t: number): Promise<Uint8Array[]> {
  assertCount(n, 'The number of shares');
  assertCount(t, 'The threshold');
  if (t > n)
    throw new KithError('SHAMIR_BAD_PARAMETERS', 'The threshold cannot exceed the number of shares.');
  if (!(secret instanceof Uint8Array) || secret.length === 0) {
    throw new KithError('SHAMIR_BAD_PARAMETERS', 'The secret must be at least one byte.');
  }
  // The package insists on an exact Uint8Array constructor (not a Buffer or other subclass).
  return split(new Uint8Array(secret), n, t);
}

/** Recover the secret from at least `t` distinct shares of the same split. */
export async function combineShares(shares: readonly Uint8Array[]): Promise<Uint8Array> {
  if (shares.length < 2 || shares.length > MAX_SHARES) {
    throw new KithError('SHAMIR_BAD_SHARES', `Between 2 and ${MAX_SHARES} shares are needed.`);
  }
  const first = shares[0]!;
  const xs = new Set<number>();
  for (const share of shares) {
    if (!(share instanceof Uint8Array) || share.length < 2 || share.length !== first.length) {
      throw new KithError('SHAMIR_BAD_SHARES', 'The shares must all have the same length, at least 2 bytes.');
    }
    const x = share[share.length - 1]!;
    if (x === 0 || xs.has(x)) {
      throw new KithError('SHAMIR_BAD_SHARES', 'Two shares are the same share, or a share is malformed.');
    }
    xs.add(x);
  }
  return combine(shares.map((share) => new Uint8Array(share)));
}
