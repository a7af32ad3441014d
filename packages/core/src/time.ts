/**
 * Time, injected: core has no clock of its own, and services take these so tests drive time.
 * A `Clock` reads the time; `Timers` schedule callbacks (setTimeout in production, a test's
 * own timers that fire when the test advances its clock).
 */

/** Milliseconds since the epoch. */
export type Clock = () => number;

export interface Timers {
  /** Calls `callback` once after `ms`; returns a handle for `clear`. */
  set(callback: () => void, ms: number): unknown;
  /** Cancels a pending callback; a handle already fired or `undefined` is ignored. */
  clear(handle: unknown): void;
}
