/**
 * Port windows (docs/PROTOCOL.md "Port windows"): a node listens on its peer port only inside
 * short windows whose times only its own devices and friends can compute. Time is cut into slots
 * of `periodMs`; in slot n the window opens `offset(n)` after the slot starts and stays open
 * `openMs`, where offset(n) = HMAC-SHA256(windowKey, label ‖ periodMs ‖ openMs ‖ n) read as a
 * 48-bit integer, mod (periodMs − openMs + 1). Times are in the owner's clock (ms since the epoch);
 * a dialer converts them with its measured clock offset and widens them by the allowed skew.
 * Pure: the same key and schedule give the same windows everywhere.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { KithError } from '../errors.ts';
import { KDF } from '../labels.ts';

export const WINDOW_KEY_BYTES = 32;
/** Shortest period and window accepted (a schedule from a peer is checked against these). */
export const MIN_WINDOW_PERIOD_MS = 1_000;
export const MAX_WINDOW_PERIOD_MS = 24 * 3_600_000;
export const MIN_WINDOW_OPEN_MS = 100;
/** Defaults: a 5 s window every minute, open 1/12 of the time. */
export const DEFAULT_WINDOW_PERIOD_MS = 60_000;
export const DEFAULT_WINDOW_OPEN_MS = 5_000;
/**
 * Largest clock error (after the measured offset is applied) a dialer allows for: it dials from
 * this long before the window it computed to this long after it closes.
 */
export const DEFAULT_MAX_SKEW_MS = 500;

export interface WindowSchedule {
  periodMs: number;
  openMs: number;
}

export interface TimeWindow {
  /** First millisecond open. */
  start: number;
  /** First millisecond closed again. */
  end: number;
}

const LABEL = new TextEncoder().encode(KDF.PORT_WINDOW);

/** Throws CONFIG_INVALID when the schedule is out of bounds (its own or a peer's). */
export function checkSchedule(s: WindowSchedule): WindowSchedule {
  const ok =
    Number.isSafeInteger(s.periodMs) &&
    Number.isSafeInteger(s.openMs) &&
    s.periodMs >= MIN_WINDOW_PERIOD_MS &&
    s.periodMs <= MAX_WINDOW_PERIOD_MS &&
    s.openMs >= MIN_WINDOW_OPEN_MS &&
    s.openMs < s.periodMs;
  if (!ok) {
    throw new KithError(
      'CONFIG_INVALID',
      `A port window schedule needs ${MIN_WINDOW_PERIOD_MS} ≤ period ≤ ${MAX_WINDOW_PERIOD_MS} ms and ${MIN_WINDOW_OPEN_MS} ms ≤ open < period; set KITH_WINDOW_PERIOD_MS and KITH_WINDOW_OPEN_MS within them.`,
    );
  }
  return s;
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/** Where in slot `slot` the window opens, from 0 to periodMs − openMs. */
export function slotOffset(key: Uint8Array, slot: number, s: WindowSchedule): number {
  if (key.length !== WINDOW_KEY_BYTES) throw new KithError('INVALID_INPUT', 'A window key is 32 bytes.');
  const input = new Uint8Array(LABEL.length + 24);
  input.set(LABEL, 0);
  input.set(u64(s.periodMs), LABEL.length);
  input.set(u64(s.openMs), LABEL.length + 8);
  input.set(u64(slot), LABEL.length + 16);
  const mac = hmac(sha256, key, input);
  // 48 bits: exact in a double; the bias of the modulus is below 2^-16 for any allowed period.
  let x = 0;
  for (let i = 0; i < 6; i++) x = x * 256 + mac[i]!;
  return x % (s.periodMs - s.openMs + 1);
}

/** The window of slot `slot`. */
export function slotWindow(key: Uint8Array, slot: number, s: WindowSchedule): TimeWindow {
  const start = slot * s.periodMs + slotOffset(key, slot, s);
  return { start, end: start + s.openMs };
}

/** The window open at `t`, if any. */
export function windowAt(key: Uint8Array, t: number, s: WindowSchedule): TimeWindow | undefined {
  const w = slotWindow(key, Math.floor(t / s.periodMs), s);
  return t >= w.start && t < w.end ? w : undefined;
}

/** The window open at `t`, or else the next one to open after `t`. */
export function nextWindow(key: Uint8Array, t: number, s: WindowSchedule): TimeWindow {
  const slot = Math.floor(t / s.periodMs);
  const here = slotWindow(key, slot, s);
  return t < here.end ? here : slotWindow(key, slot + 1, s);
}

/**
 * The window a dialer aims at, in the dialer's own clock: the owner's window open at or after
 * `localNow`, moved by `offsetMs` (the owner's clock minus the dialer's, as heartbeats measure
 * it) and widened by `skewMs` on each side. Returns the current one while `localNow` is inside it.
 * It is the earliest range not yet over: when openMs < 2·skew the ranges of consecutive slots
 * overlap, and a dialer walks on to `dialWindow(…, end, …)` to reach the later ones.
 */
export function dialWindow(
  key: Uint8Array,
  localNow: number,
  offsetMs: number,
  skewMs: number,
  s: WindowSchedule,
): TimeWindow {
  // Owner's time of the earliest instant still worth dialing: now, seen skewMs later.
  const w = nextWindow(key, localNow + offsetMs - skewMs, s);
  return { start: w.start - offsetMs - skewMs, end: w.end - offsetMs + skewMs };
}
