/**
 * The coordinator's side of hole punching (docs/PROTOCOL.md "Hole punching"): holds one device's
 * `punch-request` until the other device of the pair asks too, then hands back both halves.
 * Bounded (a friend cannot grow it) and forgetful (a request waits `ttlMs`). Pure.
 */

export interface PunchHalf {
  /** The requesting device. */
  from: string;
  target: string;
  id: string;
  /** The host the coordinator sees `from` at, and the port `from` dials from. */
  host: string;
  port: number;
  at: number;
}

export type PunchOffer =
  | { kind: 'matched'; first: PunchHalf; second: PunchHalf }
  /** `invite`: the target has not asked and has not been invited yet for this pair. */
  | { kind: 'waiting'; invite: boolean }
  | { kind: 'full' };

export const PUNCH_PENDING_MAX = 64;
export const PUNCH_PENDING_PER_DEVICE = 4;

export class PunchMatcher {
  private readonly pending = new Map<string, PunchHalf>();

  constructor(private readonly ttlMs: number) {}

  offer(half: PunchHalf): PunchOffer {
    this.expire(half.at);
    const key = pairKey(half.from, half.target);
    const other = this.pending.get(key);
    if (other && other.from === half.target) {
      this.pending.delete(key);
      return { kind: 'matched', first: other, second: half };
    }
    if (!other) {
      let mine = 0;
      for (const h of this.pending.values()) if (h.from === half.from) mine++;
      if (mine >= PUNCH_PENDING_PER_DEVICE || this.pending.size >= PUNCH_PENDING_MAX) return { kind: 'full' };
    }
    this.pending.set(key, half);
    return { kind: 'waiting', invite: !other };
  }

  /** Pending requests (for tests and status). */
  get size(): number {
    return this.pending.size;
  }

  private expire(now: number): void {
    for (const [key, h] of this.pending) if (now - h.at > this.ttlMs) this.pending.delete(key);
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
