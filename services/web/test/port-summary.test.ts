/** The `kith status` lines of the Network screen: the peer port's windows, clocks and router. */
import { describe, expect, it } from 'vitest';
import { portSummary } from '../app/logic/port-summary.ts';

const at = (d: Date) => d.toISOString().slice(11, 19);
const base = { peerPort: 7470, addresses: ['192.0.2.4:7470'] };
const windows = {
  enabled: true,
  open: false,
  periodMs: 60_000,
  openMs: 5_000,
  maxSkewMs: 2_000,
  openUntil: null,
  nextWindowAt: '2026-12-02T10:00:30.000Z',
  invitesHolding: 0,
  peerKeys: 2,
  clock: { peers: 0, medianOffsetMs: 0, spreadMs: 0, warnings: [], minOpenMs: 1_000, skewMs: 500 },
};

describe('port summary', () => {
  it('says the port is open all the time with windows off, and the router mapping off', () => {
    const lines = portSummary(
      { ...base, portWindows: { ...windows, enabled: false, nextWindowAt: null }, portMapping: null },
      at,
    ).map((l) => l.text);
    expect(lines).toEqual([
      'Peer port 7470 at 192.0.2.4:7470.',
      'Peer port open all the time (port windows off).',
      'Router mapping: off.',
    ]);
  });

  it('says when the next window opens, what holds it open, and warns of clocks and short windows', () => {
    const lines = portSummary(
      {
        ...base,
        portWindows: {
          ...windows,
          open: true,
          openUntil: '2026-12-02T10:00:05.000Z',
          invitesHolding: 1,
          clock: {
            ...windows.clock,
            peers: 2,
            medianOffsetMs: 12.4,
            spreadMs: 30,
            warnings: [{ deviceId: 'dev-b', offsetMs: 1_200 }],
            minOpenMs: 8_000,
          },
        },
        portMapping: { enabled: true, state: 'unavailable', external: null, via: null, reason: 'no gateway' },
      },
      at,
    );
    expect(lines.map((l) => l.text)).toEqual([
      'Peer port 7470 at 192.0.2.4:7470.',
      'Peer port open now until 10:00:05; next window at 10:00:30 (5000 ms every 60000 ms), held open by 1 invite.',
      'Clocks: cluster median 12 ms from ours, spread 30 ms over 2 peers.',
      "Device dev-b's clock is 1200 ms off, near the 2000 ms allowed: set its time (NTP).",
      'Windows of 5000 ms are shorter than the 8000 ms the measured clocks call for (KITH_WINDOW_OPEN_MS).',
      'Router mapping: none (no gateway); friends reach this node only on a forwarded port or KITH_ANNOUNCE.',
    ]);
    expect(lines.filter((l) => l.warning).length).toBe(3);
  });

  it('names the router’s forwarding when mapped', () => {
    const lines = portSummary(
      {
        ...base,
        portWindows: windows,
        portMapping: {
          enabled: true,
          state: 'mapped',
          external: '198.51.100.7:40000',
          via: 'upnp',
          reason: null,
        },
      },
      at,
    ).map((l) => l.text);
    expect(lines).toContain('Router forwards 198.51.100.7:40000 to the peer port (UPnP).');
    expect(lines).toContain('Peer port closed now; next window at 10:00:30 (5000 ms every 60000 ms).');
  });
});
