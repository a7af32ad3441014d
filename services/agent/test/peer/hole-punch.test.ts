/**
 * HolePunch on its own (docs/PROTOCOL.md §15): the node around it is a small host whose sessions
 * record what is sent; the sockets are real. A device asks only a friend that reaches the
 * target, at most once per retry time; a coordinator invites once and pairs both halves into
 * two `punch` messages; a device dials only on the `punch` it asked for, from the port it named,
 * and hands the connection to the side the coordinator picked.
 */
import { randomBytes } from 'node:crypto';
import { type Server, type Socket, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { SessionMessage } from '../../src/peer/session-messages.ts';
import { HolePunch, type HolePunchHost } from '../../src/peer/hole-punch.ts';
import type { PeerSession } from '../../src/peer/peer-session.ts';
import type { DeviceRow } from '../../src/repositories/identity-repository.ts';

const A = 'aaaaa-aaaaa-aaaaa-aaaaa-aaaaa';
const B = 'bbbbb-bbbbb-bbbbb-bbbbb-bbbbb';
const C = 'ccccc-ccccc-ccccc-ccccc-ccccc';

interface FakeSession {
  deviceId: string;
  seenAddress: string;
  roundTripMs: number | undefined;
  clockOffsetMs: number | undefined;
  link: { isOpen: boolean };
  sent: SessionMessage[];
  send(m: SessionMessage): boolean;
}

function session(deviceId: string, seenAddress: string): FakeSession {
  const s: FakeSession = {
    deviceId,
    seenAddress,
    roundTripMs: 20,
    clockOffsetMs: 0,
    link: { isOpen: true },
    sent: [],
    send(m) {
      s.sent.push(m);
      return true;
    },
  };
  return s;
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

function host(opts: { sessions: FakeSession[]; routes?: Record<string, FakeSession[]>; friends?: string[] }) {
  const handed: { role: 'initiator' | 'responder'; socket: Socket; address?: string }[] = [];
  const h: HolePunchHost = {
    clock: Date.now,
    random: (n) => new Uint8Array(randomBytes(n)),
    log: pino({ level: 'silent' }),
    session: (id) => opts.sessions.find((s) => s.deviceId === id) as unknown as PeerSession | undefined,
    routesTo: (id) => (opts.routes?.[id] ?? []) as unknown as PeerSession[],
    budgetFor: () => ({ spend: async () => {} }) as never,
    sourceAddress: () => ({ localAddress: '127.0.0.1' }),
    punchTarget: async (id) =>
      (opts.friends ?? []).includes(id) ? ({ deviceId: id, status: 'active' } as DeviceRow) : undefined,
    dialPunched: async (socket, _target, address) => {
      handed.push({ role: 'initiator', socket, address });
    },
    answerPunched: (socket) => {
      handed.push({ role: 'responder', socket });
    },
  };
  return { h, handed };
}

const as = (s: FakeSession) => s as unknown as PeerSession;
const row = (deviceId: string) => ({ deviceId, status: 'active' }) as DeviceRow;

describe('hole punch: the asking device', () => {
  it('asks only a friend that reaches the target, and once per retry time', async () => {
    const c = session(C, '192.0.2.3:7470');
    const lonely = new HolePunch(host({ sessions: [c] }).h);
    await lonely.afterDialFailed(row(B));
    expect(c.sent).toHaveLength(0);

    const punch = new HolePunch(host({ sessions: [c], routes: { [B]: [c] } }).h);
    await punch.afterDialFailed(row(B));
    expect(c.sent).toHaveLength(1);
    const m = c.sent[0]!;
    expect(m).toMatchObject({ t: 'punch-request', target: B });
    if (m.t === 'punch-request') expect(m.port).toBeGreaterThanOrEqual(1024);
    await punch.afterDialFailed(row(B));
    expect(c.sent).toHaveLength(1);
    punch.stop();
  });

  it('dials only on the punch it asked for, and hands the connection to its role', async () => {
    const c = session(C, '192.0.2.3:7470');
    const other = session('ddddd-ddddd-ddddd-ddddd-ddddd', '192.0.2.4:7470');
    const { h, handed } = host({ sessions: [c, other], routes: { [B]: [c] }, friends: [B] });
    const punch = new HolePunch(h);
    await punch.afterDialFailed(row(B));
    const req = c.sent[0]!;
    if (req.t !== 'punch-request') throw new Error('no request');
    // The peer's end: a listening socket stands in for B's simultaneous dial.
    const peer = createServer();
    servers.push(peer);
    const accepted = new Promise<Socket>((resolve) => peer.once('connection', resolve));
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const port = (peer.address() as { port: number }).port;
    const go = {
      v: 1,
      t: 'punch' as const,
      peer: B,
      host: '127.0.0.1',
      port,
      at: Date.now(),
      initiator: true,
    };

    // From a device we did not ask, or with another id: nothing.
    await punch.onPunch(as(other), { ...go, id: req.id });
    await punch.onPunch(as(c), { ...go, id: new Uint8Array(16) });
    await new Promise((r) => setTimeout(r, 300));
    expect(handed).toHaveLength(0);

    await punch.onPunch(as(c), { ...go, id: req.id });
    const theirs = await accepted;
    // The connection comes from the port the request named.
    expect(theirs.remotePort).toBe(req.port);
    await new Promise((r) => setTimeout(r, 100));
    expect(handed).toHaveLength(1);
    expect(handed[0]).toMatchObject({ role: 'initiator', address: `127.0.0.1:${port}` });
    handed[0]!.socket.destroy();
    // The same punch again does nothing: its request was used.
    await punch.onPunch(as(c), { ...go, id: req.id });
    await new Promise((r) => setTimeout(r, 300));
    expect(handed).toHaveLength(1);
    punch.stop();
  });

  it('answers an invite only for a device of its own or a friend', async () => {
    const c = session(C, '192.0.2.3:7470');
    const punch = new HolePunch(host({ sessions: [c], friends: [A] }).h);
    const id = new Uint8Array(16).fill(7);
    await punch.onPunchInvite(as(c), { v: 1, t: 'punch-invite', id, peer: B });
    expect(c.sent).toHaveLength(0);
    await punch.onPunchInvite(as(c), { v: 1, t: 'punch-invite', id, peer: A });
    expect(c.sent).toEqual([expect.objectContaining({ t: 'punch-request', id, target: A })]);
    punch.stop();
  });
});

describe('hole punch: the coordinator', () => {
  it('invites the target once, then tells both where and when', async () => {
    const a = session(A, '198.51.100.1:51000');
    const b = session(B, '203.0.113.9:52000');
    const punch = new HolePunch(host({ sessions: [a, b] }).h);
    const idA = new Uint8Array(16).fill(1);
    await punch.onPunchRequest(as(a), { v: 1, t: 'punch-request', id: idA, target: B, port: 40001 });
    expect(b.sent).toEqual([{ v: 1, t: 'punch-invite', id: idA, peer: A }]);
    await punch.onPunchRequest(as(a), { v: 1, t: 'punch-request', id: idA, target: B, port: 40001 });
    expect(b.sent).toHaveLength(1);

    const before = Date.now();
    await punch.onPunchRequest(as(b), { v: 1, t: 'punch-request', id: idA, target: A, port: 40002 });
    const toA = a.sent.find((m) => m.t === 'punch');
    const toB = b.sent.find((m) => m.t === 'punch');
    expect(toA).toMatchObject({ peer: B, host: '203.0.113.9', port: 40002, initiator: true });
    expect(toB).toMatchObject({ peer: A, host: '198.51.100.1', port: 40001, initiator: false });
    if (toA?.t === 'punch' && toB?.t === 'punch') {
      expect(toA.at).toBe(toB.at);
      expect(toA.at).toBeGreaterThanOrEqual(before + 1000);
    }
    punch.stop();
  });

  it('stays silent for a device seen on loopback: no NAT between programs on one machine', async () => {
    const a = session(A, '127.0.0.2:51000');
    const b = session(B, '203.0.113.9:52000');
    const punch = new HolePunch(host({ sessions: [a, b] }).h);
    await punch.onPunchRequest(as(a), {
      v: 1,
      t: 'punch-request',
      id: new Uint8Array(16),
      target: B,
      port: 40001,
    });
    expect(b.sent).toHaveLength(0);
    punch.stop();
  });

  it('stays silent about a device it has no link to', async () => {
    const a = session(A, '198.51.100.1:51000');
    const punch = new HolePunch(host({ sessions: [a] }).h);
    await punch.onPunchRequest(as(a), {
      v: 1,
      t: 'punch-request',
      id: new Uint8Array(16),
      target: B,
      port: 40001,
    });
    expect(a.sent).toHaveLength(0);
    punch.stop();
  });
});
