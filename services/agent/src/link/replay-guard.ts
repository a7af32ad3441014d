import { toHex } from '@kith/core/crypto/index';

const NANOS_PER_MS = 1_000_000n;

/**
 * Replay protection for link hellos (docs/PROTOCOL.md "mac1 and timestamp"), as in
 * WireGuard: the TAI64N timestamp in message 1 must be within a window of the responder's
 * clock and strictly greater than the last one accepted from the same initiator static key.
 * Share one guard across listener restarts (port windows) so a restart forgets nothing.
 */
export class ReplayGuard {
  private readonly last = new Map<string, bigint>();

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
