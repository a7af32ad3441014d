/**
 * How many bytes of items one friend may have this device store per day (docs/SECURITY.md
 * "Relay quotas"): a token bucket per friend user that refills evenly over 24 hours, kept in
 * memory. Items past it are refused with MESSAGE_QUOTA and stay in the friend's outbox, to
 * go again on its next link. Our own devices are not counted.
 */
const DAY_MS = 24 * 60 * 60 * 1000;

export class FriendAllowance {
  readonly #buckets = new Map<string, { bytes: number; at: number }>();

  constructor(
    private readonly bytesPerDay: number,
    private readonly clock: () => number,
  ) {}

  /** Takes `bytes` from the user's allowance; false (nothing taken) when it has not got them. */
  take(userId: string, bytes: number): boolean {
    const now = this.clock();
    const b = this.#buckets.get(userId) ?? { bytes: this.bytesPerDay, at: now };
    b.bytes = Math.min(this.bytesPerDay, b.bytes + (Math.max(0, now - b.at) / DAY_MS) * this.bytesPerDay);
    b.at = now;
    this.#buckets.set(userId, b);
    if (b.bytes < bytes) return false;
    b.bytes -= bytes;
    return true;
  }
}
