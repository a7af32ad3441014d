/**
 * Reconnect delays (docs/DESIGN.md §6): exponential with full jitter, capped, so a cluster whose hub
 * restarts does not reconnect in one burst.
 */
import type { RandomSource } from '../crypto/backend.ts';

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 30_000 };

export function backoffDelay(
  attempt: number,
  random: RandomSource,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  const r = new DataView(random(4).buffer).getUint32(0) / 2 ** 32;
  return Math.round(ceiling / 2 + (r * ceiling) / 2);
}
