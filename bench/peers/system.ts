/** What the orchestrator measures: one sender and one receiver, in two processes. */
export interface System {
  name: string;
  /** The processes whose CPU and memory count (the two ends, not the driver). */
  pids(): number[];
  /** Sends n messages as fast as the system takes them; resolves when they are handed over. */
  burst(n: number): Promise<void>;
  /** Sends `rate` messages per second for `seconds`. */
  paced(rate: number, seconds: number): Promise<void>;
  /** Messages received so far: [burst, paced]. */
  counts(): Promise<number[]>;
  /** Latencies (ms) of the paced messages received so far. */
  latencies(): Promise<number[]>;
  /** Optional: the burst starts ('start') or has all arrived ('end'); kith snapshots its counters. */
  mark?(at: 'start' | 'end'): Promise<void>;
  stop(): Promise<void>;
}
