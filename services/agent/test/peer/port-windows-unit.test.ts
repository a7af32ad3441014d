/**
 * PortWindows on its own, time injected (core/time.ts Clock and Timers): the gate follows the
 * schedule, invites hold it open, the key survives a restart and rotates, and lost peers are
 * dialled inside their windows, moved by their measured offset.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dialWindow, nextWindow, windowAt } from '@kith/core/net/port-window';
import type { Timers } from '@kith/core/time';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import {
  PORT_WINDOWS_FILE,
  PortWindows,
  type WindowGate,
  type WindowSession,
  retryInsideMs,
} from '../../src/peer/port-windows.ts';

const SCHEDULE = { periodMs: 10_000, openMs: 1_000 };
const T0 = 1_800_000_000_000;

/** A clock the test moves, and timers that fire when it does. */
function manualTime() {
  let now = T0;
  let seq = 0;
  const pending = new Map<number, { at: number; cb: () => void }>();
  const timers: Timers = {
    set(cb, ms) {
      const id = ++seq;
      pending.set(id, { at: now + ms, cb });
      return id;
    },
    clear(h) {
      pending.delete(h as number);
    },
  };
  return {
    clock: () => now,
    timers,
    /** Moves to `to`, firing each due timer at its time, and lets the work they start settle. */
    async advance(to: number) {
      for (;;) {
        const due = [...pending].filter(([, t]) => t.at <= to).sort((x, y) => x[1].at - y[1].at)[0];
        if (!due) break;
        pending.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].cb();
        await settle();
      }
      now = to;
      await settle();
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 5));

function fakeGate(): WindowGate & { changes: string[] } {
  const changes: string[] = [];
  let listening = true; // the listener starts bound
  return {
    changes,
    get listening() {
      return listening;
    },
    async pause() {
      listening = false;
      changes.push('pause');
    },
    async resume() {
      listening = true;
      changes.push('resume');
    },
  };
}

const silent = { info() {}, warn() {} };

function session(deviceId: string, userId: string, sent: unknown[] = []): WindowSession {
  return {
    deviceId,
    userId,
    clockOffsetMs: undefined,
    roundTripMs: undefined,
    send: (m) => {
      sent.push(m);
      return true;
    },
  };
}

async function make(dir: string, time: ReturnType<typeof manualTime>, enabled = true) {
  const w = new PortWindows({
    enabled,
    schedule: SCHEDULE,
    maxSkewMs: 100,
    inviteGraceMs: 2_000,
    dataDir: dir,
    clock: time.clock,
    timers: time.timers,
    random: (n) => new Uint8Array(randomBytes(n)),
    logger: silent,
  });
  const gate = fakeGate();
  return { w, gate };
}

describe('PortWindows', () => {
  it('opens the gate inside its windows only, and follows them as time passes', async () => {
    const time = manualTime();
    const { w, gate } = await make(await makeTempDir('kith-pw-'), time);
    await w.start(gate, () => []);
    const key = w.message().key!;
    for (let i = 0; i < 40; i++) {
      const t = T0 + i * 1_337;
      await time.advance(t);
      expect(gate.listening, `at +${i * 1337} ms`).toBe(windowAt(key, t, SCHEDULE) !== undefined);
    }
    // Over 53 s of 10 s periods, it opened and closed about once a period, never for nothing.
    const opens = gate.changes.filter((c) => c === 'resume').length;
    expect(opens).toBeGreaterThanOrEqual(4);
    expect(opens).toBeLessThanOrEqual(7);
    const status = w.status();
    expect(status.nextWindowAt).toBe(
      new Date(nextWindow(key, time.clock() + (status.open ? 1_000 : 0), SCHEDULE).start).toISOString(),
    );
    w.stop();
  });

  it('an open invite holds the port open until used, then a grace period, then the schedule', async () => {
    const time = manualTime();
    const { w, gate } = await make(await makeTempDir('kith-pw-'), time);
    await w.start(gate, () => []);
    const key = w.message().key!;
    // Move to a moment outside any window with 5 s of closed time ahead.
    let t = T0;
    while (windowAt(key, t, SCHEDULE) || nextWindow(key, t, SCHEDULE).start - t < 5_000) t += 100;
    await time.advance(t);
    expect(gate.listening).toBe(false);
    w.hold('invite-1', t + 60_000);
    await settle();
    expect(gate.listening).toBe(true);
    expect(w.status().invitesHolding).toBe(1);
    w.release('invite-1');
    await time.advance(t + 1_999);
    expect(gate.listening).toBe(true);
    await time.advance(t + 2_001);
    expect(gate.listening).toBe(false);
    w.stop();
  });

  it('keeps its key and its peers’ keys across a restart, in a 0600 file', async () => {
    const dir = await makeTempDir('kith-pw-');
    const time = manualTime();
    const first = await make(dir, time);
    await first.w.start(first.gate, () => []);
    const peerKey = new Uint8Array(32).fill(5);
    await first.w.onWindowKey(session('dev-b', 'user-b'), {
      v: 1,
      t: 'window-key',
      gen: 2,
      key: peerKey,
      periodMs: 5_000,
      openMs: 500,
    });
    // An older generation does not replace a newer one.
    await first.w.onWindowKey(session('dev-b', 'user-b'), {
      v: 1,
      t: 'window-key',
      gen: 1,
      key: new Uint8Array(32).fill(6),
      periodMs: 5_000,
      openMs: 500,
    });
    first.w.stop();
    const second = await make(dir, time);
    await second.w.start(second.gate, () => []);
    expect(second.w.message().key).toEqual(first.w.message().key);
    expect(second.w.peerSchedule('dev-b')).toEqual({ gen: 2, key: peerKey, periodMs: 5_000, openMs: 500 });
    expect((await stat(join(dir, PORT_WINDOWS_FILE))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, PORT_WINDOWS_FILE), 'utf8')).not.toContain('undefined');
    second.w.stop();
  });

  it('rotates its key when a friend is removed, and tells every other link', async () => {
    const time = manualTime();
    const { w, gate } = await make(await makeTempDir('kith-pw-'), time);
    const toFriend: unknown[] = [];
    const toEx: unknown[] = [];
    await w.start(gate, () => [session('dev-f', 'user-f', toFriend), session('dev-x', 'user-x', toEx)]);
    const before = w.message();
    await w.onEvent({ type: 'friend.removed', at: time.clock(), data: { userId: 'user-x' } });
    const after = w.message();
    expect(after.gen).toBe(before.gen + 1);
    expect(after.key).not.toEqual(before.key);
    expect(toFriend).toEqual([after]);
    expect(toEx).toEqual([]);
    w.stop();
  });

  it('dials a lost peer inside its next window, moved by its measured offset', async () => {
    const time = manualTime();
    const { w, gate } = await make(await makeTempDir('kith-pw-'), time);
    await w.start(gate, () => []);
    const peerKey = new Uint8Array(32).fill(9);
    const peer = { ...session('dev-p', 'user-p'), clockOffsetMs: 3_000, roundTripMs: 4 };
    await w.onWindowKey(peer, {
      v: 1,
      t: 'window-key',
      gen: 0,
      key: peerKey,
      periodMs: 10_000,
      openMs: 1_000,
    });
    w.onHeartbeat(peer);
    // Unknown peers fall back to the backoff.
    expect(await w.nextDialAt('dev-unknown', T0, T0 + 777)).toBe(T0 + 777);
    let t = T0;
    for (let i = 0; i < 200; i++) {
      const at = await w.nextDialAt('dev-p', t, t + 999_999);
      const d = dialWindow(peerKey, t, 3_000, 100, SCHEDULE);
      if (t < d.start) expect(at).toBe(d.start);
      else expect(at).toBe(Math.min(d.end, t + retryInsideMs(1_000)));
      // The moment chosen, in the peer's clock, is within the skew of its window.
      expect(at + 3_000).toBeGreaterThanOrEqual(nextWindow(peerKey, t + 3_000 - 100, SCHEDULE).start - 100);
      expect(at).toBeLessThanOrEqual(d.end);
      t = at + 1;
    }
    // A peer whose port is always open (key null): the backoff.
    await w.onWindowKey(peer, { v: 1, t: 'window-key', gen: 1, key: null, periodMs: 10_000, openMs: 1_000 });
    expect(await w.nextDialAt('dev-p', T0, T0 + 5)).toBe(T0 + 5);
    // The cluster clock shows the peer's offset as far beyond half the skew.
    expect(w.status().clock.warnings).toEqual([{ deviceId: 'dev-p', offsetMs: 3_000 }]);
    w.stop();
  });

  it('off: the gate stays open and peers are told the key is null', async () => {
    const time = manualTime();
    const { w, gate } = await make(await makeTempDir('kith-pw-'), time, false);
    await w.start(gate, () => []);
    await time.advance(T0 + 60_000);
    expect(gate.listening).toBe(true);
    expect(gate.changes).toEqual([]);
    expect(w.message().key).toBeNull();
    w.stop();
  });
});
