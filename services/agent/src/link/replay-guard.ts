import { toHex } from '@kith/core/crypto/index';

const NANOS_PER_MS = 1_000_000n;

/**
 * Where a replay guard keeps its memory across restarts (docs/SECURITY.md "Replays"). Only the
 * entries inside the timestamp window matter: an older timestamp is refused as stale anyway.
 */
export interface ReplayStore {
  load(): Promise<ReadonlyMap<string, bigint>>;
  save(entries: ReadonlyMap<string, bigint>): Promise<void>;
}

/**
 * Replay protection for link hellos (docs/PROTOCOL.md "mac1 and timestamp"), as in
 * WireGuard: the TAI64N timestamp in message 1 must be within a window of the responder's
 * clock and strictly greater than the last one accepted from the same initiator static key.
 * Share one guard across listener restarts (port windows) so a restart forgets nothing; give
 * it a store so a restart of the process forgets nothing either (without one, a hello captured
 * before a restart would be answered again after it).
 */
export class ReplayGuard {
  private readonly last = new Map<string, bigint>();
  private loading: Promise<void> | undefined;
  /** The save running now (settles, never rejects, when it ends). */
  private saving: Promise<void> | undefined;
  /** The save that starts when it ends, shared by every persist() that came meanwhile. */
  private queued: Promise<void> | undefined;

  constructor(private readonly store?: ReplayStore) {}

  /** Loads what the store kept (once); the listener awaits it before it listens. */
  ready(): Promise<void> {
    this.loading ??= (async () => {
      if (!this.store) return;
      for (const [key, t] of await this.store.load()) {
        const known = this.last.get(key);
        if (known === undefined || t > known) this.last.set(key, t);
      }
    })();
    return this.loading;
  }

  isFresh(timestampNanos: bigint, nowMs: number, windowMs: number): boolean {
    const now = BigInt(Math.floor(nowMs)) * NANOS_PER_MS;
    const window = BigInt(Math.floor(windowMs)) * NANOS_PER_MS;
    return timestampNanos >= now - window && timestampNanos <= now + window;
  }

  isNewer(initiatorStaticKey: Uint8Array, timestampNanos: bigint): boolean {
    const previous = this.last.get(toHex(initiatorStaticKey));
    return previous === undefined || timestampNanos > previous;
  }

  /** Records the timestamp if it is still newer (call after every await); false means replay. */
  accept(initiatorStaticKey: Uint8Array, timestampNanos: bigint): boolean {
    if (!this.isNewer(initiatorStaticKey, timestampNanos)) return false;
    this.last.set(toHex(initiatorStaticKey), timestampNanos);
    return true;
  }

  /**
   * Forgets timestamps that fell out of the window (they are refused as stale anyway, so memory
   * stays bounded by the hellos of one window) and writes the rest to the store. Resolves once a
   * save begun after this call has finished: one save at a time, and every call that comes while
   * one runs shares the single save that follows it (it writes the whole set as it is then, so it
   * holds all their timestamps). A save per call, queued one after another, made hellos wait
   * behind every earlier hello's fsync: on a loaded disk an invite's hello waited past its
   * handshake deadline and the acceptor heard nothing (docs/SECURITY.md "Chaos").
   */
  persist(nowMs: number, windowMs: number): Promise<void> {
    const oldest = (BigInt(Math.floor(nowMs)) - BigInt(Math.floor(windowMs))) * NANOS_PER_MS;
    for (const [key, t] of this.last) if (t < oldest) this.last.delete(key);
    const store = this.store;
    if (!store) return Promise.resolve();
    if (this.queued) return this.queued;
    if (!this.saving) return this.save(store);
    const queued = this.saving.then(() => {
      this.queued = undefined;
      return this.save(store);
    });
    this.queued = queued;
    return queued;
  }

  /** Starts a save of the current set; `saving` settles (never rejects) when it ends. */
  private save(store: ReplayStore): Promise<void> {
    const written = store.save(new Map(this.last));
    const settled: Promise<void> = written.then(
      () => this.saved(settled),
      () => this.saved(settled),
    );
    this.saving = settled;
    return written;
  }

  private saved(settled: Promise<void>): void {
    if (this.saving === settled) this.saving = undefined;
  }
}

/**
 * The initiator's side: TAI64N timestamps that grow strictly even when two hellos leave in the
 * same millisecond or the clock steps back a little.
 */
export class HelloTimestamps {
  private last = -1n;

  next(nowMs: number): bigint {
    const t = BigInt(Math.floor(nowMs)) * NANOS_PER_MS;
    this.last = t > this.last ? t : this.last + 1n;
    return this.last;
  }
}

/** One per process by default: every hello this process sends has a larger timestamp. */
export const processHelloTimestamps = new HelloTimestamps();
