import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/net/backoff.ts';
import { addSample, bestOffset, offsetSample, OFFSET_WINDOW } from '../../src/net/clock-offset.ts';
import { isOverdue, nextHeartbeatDelay } from '../../src/net/heartbeat-interval.ts';

const randomFrom = (b: Uint8Array) => (n: number) => b.slice(0, n);

describe('heartbeat interval', () => {
  it('is always within [0.5, 1.5] x mean', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 10 ** 6 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        (mean, r) => {
          const d = nextHeartbeatDelay(mean, randomFrom(r));
          expect(d).toBeGreaterThanOrEqual(Math.round(mean * 0.5));
          expect(d).toBeLessThanOrEqual(Math.round(mean * 1.5));
        },
      ),
    );
  });
  it('spreads over the whole range', () => {
    expect(nextHeartbeatDelay(1000, randomFrom(new Uint8Array(4)))).toBe(500);
    expect(nextHeartbeatDelay(1000, randomFrom(new Uint8Array([255, 255, 255, 255])))).toBe(1500);
  });
  it('calls a peer overdue after three of the longest gaps', () => {
    expect(isOverdue(0, 4500, 1000)).toBe(false);
    expect(isOverdue(0, 4501, 1000)).toBe(true);
  });
});

describe('clock offset (NTP style)', () => {
  it('recovers a known offset and delay', () => {
    // peer clock is 500 ms ahead; 20 ms each way; the peer holds the message 5 ms
    const s = offsetSample(1000, 1520, 1525, 1045);
    expect(s.offsetMs).toBe(500);
    expect(s.delayMs).toBe(40);
  });
  it('prefers the sample with the least delay and keeps a bounded window', () => {
    let samples = [
      offsetSample(0, 600, 600, 200),
      offsetSample(0, 510, 510, 20),
      offsetSample(0, 700, 700, 400),
    ];
    expect(bestOffset(samples)?.offsetMs).toBe(500);
    for (let i = 0; i < 20; i++) samples = addSample(samples, offsetSample(i, i, i, i));
    expect(samples).toHaveLength(OFFSET_WINDOW);
  });
});

describe('reconnect backoff', () => {
  it('grows exponentially with jitter and stays under the cap', () => {
    fc.assert(
      fc.property(fc.nat(60), fc.uint8Array({ minLength: 4, maxLength: 4 }), (attempt, r) => {
        const d = backoffDelay(attempt, randomFrom(r), { baseMs: 100, maxMs: 10_000 });
        const ceiling = Math.min(10_000, 100 * 2 ** attempt);
        expect(d).toBeGreaterThanOrEqual(ceiling / 2 - 1);
        expect(d).toBeLessThanOrEqual(ceiling);
      }),
    );
  });
});
