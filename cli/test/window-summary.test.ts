import { describe, expect, it } from 'vitest';
import { windowSummary } from '../src/commands/node-commands.ts';

const base = {
  enabled: true,
  open: false,
  periodMs: 60_000,
  openMs: 5_000,
  maxSkewMs: 500,
  openUntil: null,
  nextWindowAt: '2026-12-02T13:00:00.000Z',
  invitesHolding: 0,
  peerKeys: 2,
  clock: { peers: 0, medianOffsetMs: 0, spreadMs: 0, warnings: [], minOpenMs: 2_000, skewMs: 500 },
};

describe('kith status: the port-window lines', () => {
  it('says whether the port is open now and when the next window starts', () => {
    expect(windowSummary(base)).toBe(
      'Peer port closed now; next window at 2026-12-02T13:00:00.000Z (5000 ms every 60000 ms)\n',
    );
    expect(
      windowSummary({ ...base, open: true, openUntil: '2026-12-02T12:59:05.000Z', invitesHolding: 1 }),
    ).toContain('open now until 2026-12-02T12:59:05.000Z; next window at');
    expect(windowSummary({ ...base, enabled: false })).toBe(
      'Peer port open all the time (port windows off)\n',
    );
    expect(windowSummary(null)).toBe('');
  });

  it('warns about a clock near the skew margin and windows too short for the measured clocks', () => {
    const text = windowSummary({
      ...base,
      openMs: 1_000,
      clock: {
        peers: 3,
        medianOffsetMs: 12,
        spreadMs: 300,
        warnings: [{ deviceId: 'dev-x', offsetMs: 312 }],
        minOpenMs: 2_800,
        skewMs: 600,
      },
    });
    expect(text).toContain('Clocks: cluster median 12 ms from ours, spread 300 ms over 3 peers');
    expect(text).toContain("Warning: device dev-x's clock is 312 ms off, near the 500 ms allowed");
    expect(text).toContain('shorter than the 2800 ms the measured clocks call for');
  });
});
