/** The archivist's settings, what it reports, and what it needs of replication (archivist.ts). */
import { intervalScheduler, type RepairScheduler } from './replicator-options.ts';

const DAY_MS = 86_400_000;

export interface ArchivistOptions {
  /** A conversation without activity this long moves to history (closed ones move at once). */
  historyAfterMs: number;
  /** How often a pass runs by itself. */
  intervalMs: number;
  /** Quiet time after a message or conversation event before a pass (0: no event-driven passes). */
  debounceMs: number;
  scheduler: RepairScheduler;
}

export const DEFAULT_ARCHIVIST_OPTIONS: ArchivistOptions = {
  historyAfterMs: 30 * DAY_MS,
  intervalMs: 10 * 60_000,
  debounceMs: 5000,
  scheduler: intervalScheduler,
};

/** What one pass did (POST /api/archive/sync). Counts and ids only, never content. */
export interface SyncReport {
  conversations: number;
  /** Transcripts built (opened from the tables) in this pass; unchanged ones are not. */
  built: number;
  /** Current transcripts sealed and put in this pass. */
  sealedCurrent: number;
  /** Conversations moved to (or re-sealed in) history in this pass. */
  movedToHistory: number;
  /** Unchanged since the last pass (or already archived by another own device). */
  unchanged: number;
  /** Due for history but kept current: the owner has only one active device. */
  keptCurrent: number;
  /** Items sealed anew because they were sealed to a revoked own device (archive-rewrap.ts). */
  rewrapped: number;
  /** Conversations that could not be archived this pass (no holder, too large, …). */
  failed: { topic: string; code: string }[];
  activeList: { version: number; entries: number } | null;
  historyIndex: { version: number; entries: number } | null;
}

export interface HistoryItem {
  /** Blob id, hex. */
  id: string;
  /** topicHash of the conversation id, hex. */
  topic: string;
  /** The conversation id, when this device knows it. */
  conversation: string | null;
  closedAt: string;
  messages: number;
}

export interface CurrentItem {
  /** Blob id, hex. */
  id: string;
  topic: string;
  conversation: string | null;
  updatedAt: string;
}

export type { ArchivedTranscript } from '@kith/core/archive/archive-views';

/**
 * What the archivist needs of replication and retrieval (the replicator and the archive fetcher:
 * docs/ARCHITECTURE.md "Archive encryption and retrieval"). node.ts wires the real ones.
 */
export interface ArchiveAccess {
  /** Stores locally and replicates; `preferHolders` are asked first (current: friends' devices). */
  put(input: {
    kind: 'current' | 'history';
    ciphertext: Uint8Array;
    preferHolders?: string[];
    /** Copies wanted on other devices now, when more than the replication factor. */
    copies?: number;
  }): Promise<{ id: string }>;
  /** Local store first, else holders; `rewrap` asks a holder for its share re-wrapped to me. */
  fetchBlob(
    blobId: Uint8Array,
    opts?: { rewrap?: boolean; from?: string[] },
  ): Promise<{ ciphertext: Uint8Array; kind: string; share?: Uint8Array; from: string }>;
  /** Newest of the local copy and online holders. */
  fetchIndex(
    name: 'active' | 'conversations',
    opts?: { rewrap?: boolean },
  ): Promise<{ ciphertext: Uint8Array; version: number; share?: Uint8Array } | undefined>;
  putIndex(name: 'active' | 'conversations', ciphertext: Uint8Array): Promise<{ version: number }>;
  /** Each list's version here, how many devices hold it, and whether a holder has a competing one. */
  indexPlacement(): Promise<{ name: 'active' | 'conversations'; conflict: boolean }[]>;
  /** Pushes the lists too few devices hold again (list-placement.ts). */
  placeIndexes(): Promise<unknown>;
  /** An own device (X or Y of a history item) re-wraps its share to this device. */
  requestShare(deviceId: string, blobId: Uint8Array): Promise<Uint8Array>;
  /** Old blobs a re-wrap listed others `by` in place of: deleted here and on holders (superseded-drops.ts). */
  supersede(pairs: readonly { old: string; by: string }[]): Promise<void>;
}

/** Days (config) to milliseconds. */
export const historyAfterMs = (days: number | undefined): number => Math.round((days ?? 30) * DAY_MS);
