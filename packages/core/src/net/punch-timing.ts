/**
 * When a hole punch fires (docs/PROTOCOL.md "Hole punching"). The coordinator names a moment on
 * its own clock far enough ahead for its `punch` messages to reach both devices; each device
 * moves it onto its own clock with the offset it measured to the coordinator (heartbeats,
 * net/clock-offset.ts). Pure.
 */

/** Least lead: two messages and a timer on a loaded machine. */
export const PUNCH_MIN_LEAD_MS = 1000;
/** Most lead; a `punch` asking to wait longer is clamped to it (a coordinator cannot park us). */
export const PUNCH_MAX_LEAD_MS = 10_000;
/** How long each side keeps dialing after the moment: covers the kernel's SYN retries at 1 s and 3 s. */
export const PUNCH_ATTEMPT_MS = 8000;
/** Used for a device whose round trip is not measured yet. */
const UNKNOWN_RTT_MS = 1000;

/** The coordinator's lead: twice the slower device's round trip plus half a second, clamped. */
export function punchLeadMs(roundTripsMs: readonly (number | undefined)[]): number {
  const slowest = Math.max(0, ...roundTripsMs.map((r) => r ?? UNKNOWN_RTT_MS));
  return Math.min(PUNCH_MAX_LEAD_MS, Math.max(PUNCH_MIN_LEAD_MS, Math.round(2 * slowest + 500)));
}

/**
 * Milliseconds from `now` (our clock) until the coordinator's moment `at` (its clock), given the
 * measured `offsetMs` (its clock minus ours). A moment already past fires at once.
 */
export function punchDelayMs(at: number, offsetMs: number | undefined, now: number): number {
  const local = at - (offsetMs ?? 0);
  return Math.min(PUNCH_MAX_LEAD_MS, Math.max(0, Math.round(local - now)));
}
