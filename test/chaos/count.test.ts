/** The chaos run's count (count.ts): what it names for a lost message and a divergent conversation. */
import { describe, expect, it } from 'vitest';
import { count, type HeldMessage, type SentRecord } from './count.ts';

const devices = [
  { name: 'u0', user: 0 },
  { name: 'relay0', user: 0 },
  { name: 'u1', user: 1 },
  { name: 'u2', user: 2 },
];
const sent = (n: number, o: Partial<SentRecord> = {}): SentRecord => ({
  text: `chaos 7 #${n}`,
  conversation: 'g',
  group: true,
  users: [0, 1, 2],
  from: 'u1',
  at: n,
  failed: false,
  ...o,
});
const msg = (n: number, conversation = 'g'): HeldMessage => ({
  id: `m${n}`,
  conversation,
  text: `chaos 7 #${n}`,
});

describe('the chaos count', () => {
  it('agrees when every member device holds the same', () => {
    const held = new Map(devices.map((d) => [d.name, [msg(1)]]));
    expect(count(7, devices, [sent(1)], held)).toMatchObject({ lost: 0, duplicates: 0, divergent: 0 });
  });

  it('names a lost message: sender, time, the devices without it', () => {
    const held = new Map(devices.map((d) => [d.name, d.name === 'u1' ? [msg(1)] : []]));
    const c = count(7, devices, [sent(1)], held);
    expect(c.lost).toBe(3);
    expect(c.lostMessages).toEqual([
      {
        text: 'chaos 7 #1',
        conversation: 'g',
        from: 'u1',
        at: 1,
        cliFailed: false,
        missingOn: ['u0', 'relay0', 'u2'],
      },
    ]);
    expect(c.divergences[0]?.lacking.map((l) => l.device)).toEqual(['u0', 'relay0', 'u2']);
  });

  it('does not count a failed send as lost, but a copy on some devices only as divergent', () => {
    const direct = sent(2, { conversation: '', group: false, users: [0, 1], from: 'u0', failed: true });
    const held = new Map<string, HeldMessage[]>([
      ['u0', [msg(2, 'd01')]],
      ['relay0', [msg(2, 'd01')]],
      ['u1', []],
      ['u2', []],
    ]);
    const c = count(7, devices, [direct], held);
    expect(c.lost).toBe(0);
    expect(c.divergences).toEqual([
      {
        conversation: 'd01',
        group: false,
        lacking: [
          { device: 'u1', messages: [{ id: 'm2', text: 'chaos 7 #2', from: 'u0', cliFailed: true }] },
        ],
      },
    ]);
    // Nowhere is as good as everywhere.
    const none = new Map(devices.map((d) => [d.name, [] as HeldMessage[]]));
    expect(count(7, devices, [direct], none)).toMatchObject({ lost: 0, divergent: 0 });
  });

  it('counts a message held twice', () => {
    const held = new Map(devices.map((d) => [d.name, d.name === 'u2' ? [msg(1), msg(1)] : [msg(1)]]));
    expect(count(7, devices, [sent(1)], held).duplicates).toBe(1);
  });
});
