/**
 * The cluster's clock as this node sees it (docs/PROTOCOL.md "Port windows", "Clocks"): each
 * linked peer's NTP-style offset (net/clock-offset.ts) says how far its clock is from ours; their
 * median estimates how far ours is from the cluster's, and the spread around it how well the
 * cluster agrees. Peers whose offset comes near the allowed skew are named, so their owners can
 * fix their clocks before dialers start missing windows. Pure.
 */

export interface PeerOffset {
  deviceId: string;
  /** The peer's clock minus ours. */
  offsetMs: number;
}

export interface ClusterClock {
  /** Peers measured. */
  peers: number;
  /** Median of the peers' offsets (the cluster's clock minus ours); 0 with no peer. */
  medianOffsetMs: number;
  /** Largest distance of one peer's offset from the median. */
  spreadMs: number;
  /** Peers whose clock is at least half the allowed skew away from ours or from the median. */
  warnings: PeerOffset[];
}

/** A warning starts at this fraction of the allowed skew. */
export const SKEW_WARNING_FRACTION = 0.5;

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function clusterClock(offsets: readonly PeerOffset[], maxSkewMs: number): ClusterClock {
  const m = median(offsets.map((o) => o.offsetMs));
  const limit = maxSkewMs * SKEW_WARNING_FRACTION;
  let spread = 0;
  const warnings: PeerOffset[] = [];
  for (const o of offsets) {
    const fromMedian = Math.abs(o.offsetMs - m);
    spread = Math.max(spread, fromMedian);
    if (fromMedian >= limit || Math.abs(o.offsetMs) >= limit) warnings.push(o);
  }
  return { peers: offsets.length, medianOffsetMs: m, spreadMs: spread, warnings };
}

/**
 * The rule for window widths: a window must hold the whole widened dial range of a peer that
 * measured our clock (2 × skew) with room for a few dial attempts, and the skew allowed must
 * cover the spread the cluster shows. Returns the smallest open time and skew that satisfy both
 * for a measured spread (`spreadMs`) and round trip (`roundTripMs`).
 */
export function windowWidthFor(
  spreadMs: number,
  roundTripMs: number,
  maxSkewMs: number,
): { minOpenMs: number; skewMs: number } {
  const skewMs = Math.max(maxSkewMs, Math.ceil(2 * spreadMs + roundTripMs));
  return { minOpenMs: 4 * skewMs + 4 * Math.ceil(roundTripMs), skewMs };
}
