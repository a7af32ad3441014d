/**
 * Heartbeat timing (docs/DESIGN.md §6): each interval is drawn uniformly from [0.5, 1.5] × the mean,
 * so heartbeats of a cluster never fall into lockstep and their timing reveals little.
 */
import type { RandomSource } from '../crypto/backend.ts';

export function nextHeartbeatDelay(meanMs: number, random: RandomSource): number {
  const r = new DataView(random(4).buffer).getUint32(0) / 2 ** 32;
  return Math.round(meanMs * (0.5 + r));
}

/** A peer is offline once this many mean intervals pass without a heartbeat from it. */
export const MISSED_HEARTBEATS_OFFLINE = 3;

export function isOverdue(lastSeenAt: number, now: number, meanMs: number): boolean {
  // 1.5 × mean is the longest legitimate gap; allow MISSED_HEARTBEATS_OFFLINE of them.
  return now - lastSeenAt > meanMs * 1.5 * MISSED_HEARTBEATS_OFFLINE;
}
