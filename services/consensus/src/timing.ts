/**
 * Timing knobs of the consensus worker (injected, so tests drive time). Environment:
 * KITH_CONSENSUS_POLL_MS, KITH_CONSENSUS_FALLBACK_MS (docs/CONSENSUS.md "The consensus worker"),
 * read by the agent's config schema; whoever starts the worker passes them in.
 */
import type { Timers } from '@kith/core/time';

export type { Timers } from '@kith/core/time';

export interface WorkerTiming {
  /** Full re-check of every open conversation: catches missed events and rules that read `now`. */
  pollMs: number;
  /**
   * A device that did not create the conversation records only when no outcome came this long
   * after it first saw the method done (the creating device records at once).
   */
  fallbackMs: number;
  /** Longest single timer: a deadline further away is re-armed (setTimeout holds ~24.8 days). */
  maxTimerMs: number;
  /** After the agent failed to answer, try again after this long. */
  retryMs: number;
}

export const DEFAULT_WORKER_TIMING: WorkerTiming = {
  pollMs: 30_000,
  fallbackMs: 120_000,
  maxTimerMs: 3_600_000,
  retryMs: 5_000,
};

export const realTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The worker's timing from the config's consensus settings (services/agent/src/config.ts). */
export function timingFromConfig(config: {
  consensusPollMs?: number | undefined;
  consensusFallbackMs?: number | undefined;
}): Partial<WorkerTiming> {
  const out: Partial<WorkerTiming> = {};
  if (config.consensusPollMs !== undefined) out.pollMs = config.consensusPollMs;
  if (config.consensusFallbackMs !== undefined) out.fallbackMs = config.consensusFallbackMs;
  return out;
}
