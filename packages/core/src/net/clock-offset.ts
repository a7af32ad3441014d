/**
 * NTP-style clock offset estimate per peer (docs/DESIGN.md §6). A heartbeat carries the sender's
 * clock t1; its echo comes back with t2 (peer receive) and t3 (peer send), received at t4:
 *   offset = ((t2 − t1) + (t3 − t4)) / 2,  delay = (t4 − t1) − (t3 − t2)
 * Keeps the samples of a short window and reports the one with the least delay (the least
 * queueing, hence the most trustworthy), as NTP's clock filter does.
 */
export interface OffsetSample {
  offsetMs: number;
  delayMs: number;
  at: number;
}

export const OFFSET_WINDOW = 8;

export function offsetSample(t1: number, t2: number, t3: number, t4: number): OffsetSample {
  return { offsetMs: (t2 - t1 + (t3 - t4)) / 2, delayMs: Math.max(0, t4 - t1 - (t3 - t2)), at: t4 };
}

export function addSample(samples: readonly OffsetSample[], sample: OffsetSample): OffsetSample[] {
  return [...samples, sample].slice(-OFFSET_WINDOW);
}

export function bestOffset(samples: readonly OffsetSample[]): OffsetSample | undefined {
  let best: OffsetSample | undefined;
  for (const s of samples) if (!best || s.delayMs < best.delayMs) best = s;
  return best;
}
