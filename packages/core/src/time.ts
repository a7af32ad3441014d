/** Milliseconds since the Unix epoch. Injected so tests drive time (DESIGN §3). */
export type Clock = () => number;

/** A timer source (setTimeout by default): tests pass their own. */
export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}
