import { describe, expect, it } from 'vitest';
import { PUNCH_PENDING_PER_DEVICE, type PunchHalf, PunchMatcher } from '../../src/net/punch-matcher.ts';
import {
  PUNCH_MAX_LEAD_MS,
  PUNCH_MIN_LEAD_MS,
  punchDelayMs,
  punchLeadMs,
} from '../../src/net/punch-timing.ts';

const half = (from: string, target: string, at = 0, port = 40000): PunchHalf => ({
  from,
  target,
  id: `${from}${target}`,
  host: '192.0.2.1',
  port,
  at,
});

describe('punch matcher (the coordinator)', () => {
  it('invites the target once, then pairs the two halves', () => {
    const m = new PunchMatcher(20_000);
    expect(m.offer(half('a', 'b'))).toEqual({ kind: 'waiting', invite: true });
    // Asking again replaces the half and does not invite again.
    expect(m.offer(half('a', 'b', 10, 40001))).toEqual({ kind: 'waiting', invite: false });
    const r = m.offer(half('b', 'a', 20));
    expect(r.kind).toBe('matched');
    if (r.kind === 'matched') {
      expect(r.first).toMatchObject({ from: 'a', port: 40001 });
      expect(r.second.from).toBe('b');
    }
    expect(m.size).toBe(0);
  });

  it('forgets a half after its time to live', () => {
    const m = new PunchMatcher(20_000);
    m.offer(half('a', 'b', 0));
    expect(m.offer(half('b', 'a', 20_001))).toEqual({ kind: 'waiting', invite: true });
  });

  it('bounds what one device can leave waiting', () => {
    const m = new PunchMatcher(20_000);
    for (let i = 0; i < PUNCH_PENDING_PER_DEVICE; i++) m.offer(half('a', `t${i}`));
    expect(m.offer(half('a', 'one-more'))).toEqual({ kind: 'full' });
    // Another device still gets its turn.
    expect(m.offer(half('c', 'd'))).toEqual({ kind: 'waiting', invite: true });
  });
});

describe('punch timing', () => {
  it('leads by twice the slower round trip plus half a second, clamped', () => {
    expect(punchLeadMs([10, 20])).toBe(PUNCH_MIN_LEAD_MS);
    expect(punchLeadMs([400, undefined])).toBe(2500);
    expect(punchLeadMs([60_000])).toBe(PUNCH_MAX_LEAD_MS);
  });

  it('moves the moment onto our clock with the measured offset, never into the past or far ahead', () => {
    // The coordinator's clock is 300 ms ahead of ours: its 10 000 is our 9 700.
    expect(punchDelayMs(10_000, 300, 9_000)).toBe(700);
    expect(punchDelayMs(10_000, undefined, 9_000)).toBe(1000);
    expect(punchDelayMs(10_000, 0, 12_000)).toBe(0);
    expect(punchDelayMs(10_000_000, 0, 0)).toBe(PUNCH_MAX_LEAD_MS);
  });
});
