/** The replicator's settings and what it reports (archive-replicator.ts). */
import type { QuotaLimits } from '@kith/archive';
import type { ListPlacementView } from './list-placement.ts';

/** Replication factor floor: docs/DESIGN.md §1 promises two devices. */
export const MIN_REPLICAS = 2;

/** A timer the tests can drive: calls `tick` every `ms` until the returned function is called. */
export type RepairScheduler = (tick: () => void, ms: number) => () => void;

export const intervalScheduler: RepairScheduler = (tick, ms) => {
  const t = setInterval(tick, ms);
  t.unref?.();
  return () => clearInterval(t);
};

export interface ArchiveReplicatorOptions {
  /** Devices that must hold each blob, this one included when it keeps its copy (>= 2). */
  replicas: number;
  /** How often the repair loop runs. */
  repairIntervalMs: number;
  /** A holder unreachable this long has its copies counted as lost. */
  graceMs: number;
  /** A copy is challenged when its last check (or receipt) is older than this. */
  checkIntervalMs: number;
  /** A store or a challenge unanswered this long is given up (a challenge then fails). */
  replyTimeoutMs: number;
  /** Hold friends' blobs (the relay setting); own devices' blobs are always held. */
  holdForFriends: boolean;
  /** Limits for owners without their own on this device (default the store's DEFAULT_QUOTA). */
  quotaDefaults?: QuotaLimits;
  scheduler: RepairScheduler;
}

export const DEFAULT_REPLICATOR_OPTIONS: ArchiveReplicatorOptions = {
  replicas: MIN_REPLICAS,
  repairIntervalMs: 30_000,
  graceMs: 10 * 60_000,
  checkIntervalMs: 60 * 60_000,
  replyTimeoutMs: 30_000,
  holdForFriends: true,
  scheduler: intervalScheduler,
};

export interface PutResult {
  /** Content id, hex. */
  id: string;
  size: number;
  /** `stored` now or already `present`. */
  status: 'stored' | 'present';
  /** Devices a copy was sent to now (their receipts arrive later). */
  sentTo: string[];
}

export interface PutOptions {
  /**
   * Devices asked first, in this order (when online, active and not refusing), e.g. friends'
   * devices for a `current` item: only a device with the holder-group share is of use there.
   */
  preferHolders?: readonly string[];
  /**
   * Copies wanted on other devices at this put when more than the factor asks (the friend
   * bundle: every device that may hold it; archivist.ts). Repair keeps the factor only.
   */
  copies?: number;
}

export interface HolderSummary {
  deviceId: string;
  userId: string | null;
  own: boolean;
  self: boolean;
  online: boolean;
  held: number;
  failed: number;
  lost: number;
}

export interface RepairProgress {
  running: boolean;
  /** Blobs under-replicated when the current (or last) repair began. */
  total: number;
  /** Of those, how many have enough copies again. */
  done: number;
  /** Copies sent and not yet acknowledged. */
  pendingStores: number;
  pendingChallenges: number;
  lastPassAt: string | null;
}

export interface ArchiveStatus {
  replicas: number;
  /** Blobs this device replicates (its own puts). */
  items: number;
  bytes: number;
  /** Number of good copies -> how many items have that many. */
  copies: Record<string, number>;
  holders: HolderSummary[];
  underReplicated: number;
  repair: RepairProgress;
  /** Blobs this device holds for other devices (own devices' and friends'). */
  heldForOthers: { items: number; bytes: number };
  /** This user's lists as this device has them, and how many other devices hold that version. */
  lists: ListPlacementView[];
}
