import fc from 'fast-check';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { clusterClock, median, windowWidthFor } from '../../src/net/cluster-clock.ts';
import {
  DEFAULT_WINDOW_OPEN_MS,
  DEFAULT_WINDOW_PERIOD_MS,
  checkSchedule,
  dialWindow,
  nextWindow,
  slotOffset,
  slotWindow,
  type WindowSchedule,
  windowAt,
} from '../../src/net/port-window.ts';
import { codeOf } from '../helpers/code-of.ts';

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const schedule = fc
  .integer({ min: 1_000, max: 3_600_000 })
  .chain((periodMs) => fc.integer({ min: 100, max: periodMs - 1 }).map((openMs) => ({ periodMs, openMs })));
const time = fc.integer({ min: 1_000_000_000_000, max: 4_102_444_800_000 }); // 2001 to 2100

describe('port window schedule', () => {
  it('puts exactly one window of openMs inside each period', () => {
    fc.assert(
      fc.property(key, schedule, fc.integer({ min: 0, max: 2 ** 31 }), (k, s, slot) => {
        const off = slotOffset(k, slot, s);
        expect(off).toBeGreaterThanOrEqual(0);
        expect(off).toBeLessThanOrEqual(s.periodMs - s.openMs);
        const w = slotWindow(k, slot, s);
        expect(w.end - w.start).toBe(s.openMs);
        expect(w.start).toBeGreaterThanOrEqual(slot * s.periodMs);
        expect(w.end).toBeLessThanOrEqual((slot + 1) * s.periodMs);
      }),
    );
  });

  it('finds the window open now, or the next one, and nothing open in between', () => {
    fc.assert(
      fc.property(key, schedule, time, (k, s, t) => {
        const next = nextWindow(k, t, s);
        expect(next.end).toBeGreaterThan(t);
        const open = windowAt(k, t, s);
        if (open) expect(open).toEqual(next);
        else {
          expect(next.start).toBeGreaterThan(t);
          // Nothing opens between t and next.start: t's slot window is over or later than next.
          expect(windowAt(k, next.start - 1, s)).toBeUndefined();
          expect(next.start - t).toBeLessThan(2 * s.periodMs);
        }
        expect(windowAt(k, next.start, s)).toEqual(next);
        expect(windowAt(k, next.end, s)).not.toEqual(next);
      }),
    );
  });

  it('is the same for everyone holding the key and differs between keys', () => {
    fc.assert(
      fc.property(key, key, schedule, (a, b, s) => {
        fc.pre(Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0);
        fc.pre(s.periodMs - s.openMs > 1000);
        const sa = Array.from({ length: 16 }, (_, i) => slotOffset(a, i, s));
        const sa2 = Array.from({ length: 16 }, (_, i) => slotOffset(a.slice(), i, s));
        const sb = Array.from({ length: 16 }, (_, i) => slotOffset(b, i, s));
        expect(sa2).toEqual(sa);
        expect(sb).not.toEqual(sa);
      }),
    );
  });

  it('is domain-separated and bound to the schedule (a pinned vector)', () => {
    const k = new Uint8Array(32).fill(7);
    const s = { periodMs: DEFAULT_WINDOW_PERIOD_MS, openMs: DEFAULT_WINDOW_OPEN_MS };
    const input = new Uint8Array([
      ...new TextEncoder().encode('kith/v1/kdf/port-window'),
      ...[0, 0, 0, 0, 0, 0, 0xea, 0x60],
      ...[0, 0, 0, 0, 0, 0, 0x13, 0x88],
      ...[0, 0, 0, 0, 0, 0, 0, 42],
    ]);
    const mac = hmac(sha256, k, input);
    const expected = mac.slice(0, 6).reduce((x, b) => x * 256 + b, 0) % (60_000 - 5_000 + 1);
    expect(slotOffset(k, 42, s)).toBe(expected);
    // Another open time gives another schedule even for the same key and slot range.
    const other = Array.from({ length: 8 }, (_, i) => slotOffset(k, i, { ...s, openMs: 5_001 }));
    expect(other).not.toEqual(Array.from({ length: 8 }, (_, i) => slotOffset(k, i, s)));
  });

  it('spreads window starts over the period (not all early or late)', () => {
    const k = new Uint8Array(32).fill(1);
    const s = { periodMs: 60_000, openMs: 5_000 };
    const offs = Array.from({ length: 400 }, (_, i) => slotOffset(k, i, s));
    const low = offs.filter((o) => o < 27_500).length;
    expect(low).toBeGreaterThan(150);
    expect(low).toBeLessThan(250);
  });

  it('refuses schedules out of bounds', () => {
    expect(codeOf(() => checkSchedule({ periodMs: 999, openMs: 100 }))).toBe('CONFIG_INVALID');
    expect(codeOf(() => checkSchedule({ periodMs: 5_000, openMs: 5_000 }))).toBe('CONFIG_INVALID');
    expect(codeOf(() => checkSchedule({ periodMs: 5_000, openMs: 99 }))).toBe('CONFIG_INVALID');
    expect(checkSchedule({ periodMs: 5_000, openMs: 500 })).toEqual({ periodMs: 5_000, openMs: 500 });
  });
});

describe('dial window', () => {
  const dialCase = fc.tuple(
    key,
    schedule,
    time,
    fc.integer({ min: -60_000, max: 60_000 }),
    fc.integer({ min: 0, max: 2_000 }),
    fc.double({ min: -1, max: 1, noNaN: true }),
  );
  type Window = { start: number; end: number };
  /** The owner's next window, in our clock, when its clock really is offset + error ahead. */
  const realWindow = (
    k: Uint8Array,
    s: WindowSchedule,
    now: number,
    offset: number,
    error: number,
  ): Window => {
    const real = nextWindow(k, now + offset + error, s);
    return { start: real.start - offset - error, end: real.end - offset - error };
  };
  /** The dial windows a dialer walks from `now`: the first, then each one after the last's end. */
  const walk = (k: Uint8Array, s: WindowSchedule, now: number, offset: number, skew: number, n: number) => {
    const out = [dialWindow(k, now, offset, skew, s)];
    while (out.length < n) out.push(dialWindow(k, out[out.length - 1]!.end, offset, skew, s));
    return out;
  };
  const inside = (real: Window, w: Window) => real.start >= w.start && real.end <= w.end;

  it('covers the owner’s real window whenever the clock error is within the skew', () => {
    fc.assert(
      fc.property(dialCase, ([k, s, now, offset, skew, errorFraction]) => {
        const error = Math.round(errorFraction * skew);
        const d = dialWindow(k, now, offset, skew, s);
        expect(d.end).toBeGreaterThan(now);
        // The real window lies inside one of the dial windows walked from now. Dial windows of
        // consecutive slots are widened by 2·skew and overlap when openMs < 2·skew, so up to
        // ⌈2·skew / openMs⌉ earlier ones may still be live (each could hold its window for some
        // error within the skew); with openMs ≥ 2·skew it is the first or the one after.
        const reach = Math.ceil((2 * skew) / s.openMs);
        const real = realWindow(k, s, now, offset, error);
        expect(walk(k, s, now, offset, skew, reach + 1).some((w) => inside(real, w))).toBe(true);
      }),
    );
  });

  it('lets a dialer that retries at least once per openMs dial inside the real window', () => {
    fc.assert(
      fc.property(
        dialCase,
        fc.double({ min: 0.125, max: 1, noNaN: true }),
        ([k, s, now, offset, skew, errorFraction], r) => {
          const error = Math.round(errorFraction * skew);
          const real = realWindow(k, s, now, offset, error);
          // As the agent plans a retry after a failed dial (nextDialAt, a step of max(100 ms,
          // openMs / 4)): the next dial window's start, or a step of at most openMs inside it,
          // never past its end.
          const step = Math.round(r * s.openMs);
          let t = now; // the dial that just failed
          if (t >= real.start) return;
          while (t < real.end) {
            const d = dialWindow(k, t, offset, skew, s);
            t = t < d.start ? d.start : Math.min(d.end, t + step);
            if (t >= real.start && t < real.end) return;
          }
          expect.unreachable(`no dial between ${real.start} and ${real.end}`);
        },
      ),
    );
  });

  it('reaches the real window through overlapping dial windows (seeds -1472479581, 106823644)', () => {
    // Shrunk counterexamples of an earlier form of the property above, which claimed the real
    // window is in the first dial window or the one after. Here openMs < 2·skew: the first two
    // dial windows still overlap now, and the real window is in the third.
    const cases = [
      {
        k: [
          248, 75, 237, 110, 5, 5, 145, 79, 48, 254, 4, 54, 250, 3, 7, 206, 252, 0, 28, 2, 192, 196, 134, 1,
          4, 30, 7, 21, 239, 93, 181, 133,
        ],
        s: { periodMs: 1_016, openMs: 104 },
        now: 3_249_689_743_357,
        offset: 9_454,
        skew: 375,
      },
      {
        k: [
          3, 10, 3, 249, 188, 33, 1, 34, 153, 1, 2, 84, 0, 205, 190, 248, 252, 186, 3, 22, 29, 0, 255, 144,
          117, 98, 2, 248, 0, 6, 136, 0,
        ],
        s: { periodMs: 1_006, openMs: 103 },
        now: 2_323_724_623_705,
        offset: 11,
        skew: 926,
      },
    ];
    for (const { k, s, now, offset, skew } of cases) {
      const key = Uint8Array.from(k);
      const real = realWindow(key, s, now, offset, 0);
      const [first, second, third] = walk(key, s, now, offset, skew, 3);
      expect(first!.start).toBeLessThanOrEqual(now);
      expect(second!.start).toBeLessThanOrEqual(first!.end);
      expect(inside(real, first!) || inside(real, second!)).toBe(false);
      expect(inside(real, third!)).toBe(true);
      expect(Math.ceil((2 * skew) / s.openMs)).toBeGreaterThanOrEqual(2);
    }
  });

  it('is the current window while inside it', () => {
    const k = new Uint8Array(32).fill(3);
    const s = { periodMs: 10_000, openMs: 1_000 };
    const w = slotWindow(k, 100, s);
    expect(dialWindow(k, w.start + 10, 0, 50, s)).toEqual({ start: w.start - 50, end: w.end + 50 });
    expect(dialWindow(k, w.start - 2_000 + 10, 2_000, 50, s)).toEqual({
      start: w.start - 2_000 - 50,
      end: w.end - 2_000 + 50,
    });
  });
});

describe('cluster clock', () => {
  it('takes the median of the peers’ offsets', () => {
    expect(median([])).toBe(0);
    expect(median([5])).toBe(5);
    expect(median([9, 1, 5])).toBe(5);
    expect(median([1, 2, 3, 10])).toBe(2.5);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 1 }), (xs) => {
        const m = median(xs);
        expect(xs.filter((x) => x <= m).length).toBeGreaterThanOrEqual(xs.length / 2);
        expect(xs.filter((x) => x >= m).length).toBeGreaterThanOrEqual(xs.length / 2);
      }),
    );
  });

  it('names peers near the skew margin', () => {
    const c = clusterClock(
      [
        { deviceId: 'a', offsetMs: 10 },
        { deviceId: 'b', offsetMs: -20 },
        { deviceId: 'c', offsetMs: 400 },
      ],
      500,
    );
    expect(c.medianOffsetMs).toBe(10);
    expect(c.spreadMs).toBe(390);
    expect(c.warnings.map((w) => w.deviceId)).toEqual(['c']);
    expect(clusterClock([], 500)).toEqual({ peers: 0, medianOffsetMs: 0, spreadMs: 0, warnings: [] });
  });

  it('widens the skew and the window with the measured spread', () => {
    expect(windowWidthFor(0, 0, 500)).toEqual({ minOpenMs: 2_000, skewMs: 500 });
    const wide = windowWidthFor(400, 100, 500);
    expect(wide.skewMs).toBe(900);
    expect(wide.minOpenMs).toBe(3_600 + 400);
  });
});
