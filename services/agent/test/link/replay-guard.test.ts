import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectLink } from '../../src/link/connect.ts';
import { replayFile } from '../../src/link/replay-file.ts';
import { ReplayGuard, type ReplayStore } from '../../src/link/replay-guard.ts';
import { allow, clock, freshKeyPair, seededRandom, startNode, timestamps } from './helpers.ts';

const NOW = 1_750_000_000_000;
const WINDOW = 120_000;
const at = (ms: number) => BigInt(ms) * 1_000_000n;
const key = (n: number, bytes = 32) => new Uint8Array(bytes).fill(n);

/** A store whose first save waits until `release()`; later saves finish at once. */
function slowStore() {
  const saves: ReadonlyMap<string, bigint>[] = [];
  let release = () => {};
  const first = new Promise<void>((r) => {
    release = r;
  });
  const store: ReplayStore = {
    load: async () => new Map(),
    save: async (entries) => {
      saves.push(entries);
      if (saves.length === 1) await first;
    },
  };
  return { store, saves, release: () => release() };
}

describe('the replay guard keeps its memory without making hellos queue behind each other', () => {
  it('hellos accepted while a save runs share the one save after it (one per hello queued every fsync)', async () => {
    const { store, saves, release } = slowStore();
    const guard = new ReplayGuard(store);
    await guard.ready();
    expect(guard.accept(key(1), at(NOW))).toBe(true);
    const first = guard.persist(NOW, WINDOW);
    // Five more hellos arrive while the disk is slow with the first save.
    const later: Promise<void>[] = [];
    for (let i = 2; i <= 6; i++) {
      expect(guard.accept(key(i), at(NOW))).toBe(true);
      later.push(guard.persist(NOW, WINDOW));
    }
    while (saves.length === 0) await new Promise((r) => setTimeout(r, 5));
    release();
    await Promise.all([first, ...later]);
    // The first save, then one holding all six: not six saves one after another.
    expect(saves).toHaveLength(2);
    expect([...saves[1]!.keys()].sort()).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => Buffer.from(key(n)).toString('hex')),
    );
  });

  it('a persist waits for a save that began after it, so its hello is on disk when it resolves', async () => {
    const { store, saves, release } = slowStore();
    const guard = new ReplayGuard(store);
    guard.accept(key(1), at(NOW));
    const first = guard.persist(NOW, WINDOW);
    guard.accept(key(2), at(NOW));
    let secondDone = false;
    const second = guard.persist(NOW, WINDOW).then(() => {
      secondDone = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(secondDone).toBe(false); // the running save began before key 2 was accepted
    release();
    await Promise.all([first, second]);
    expect(saves.at(-1)?.has(Buffer.from(key(2)).toString('hex'))).toBe(true);
  });

  it('a failed save fails its callers and the next persist saves again', async () => {
    let fail = true;
    let saved = 0;
    const guard = new ReplayGuard({
      load: async () => new Map(),
      save: async () => {
        saved++;
        if (fail) throw new Error('disk full');
      },
    });
    guard.accept(key(1), at(NOW));
    await expect(guard.persist(NOW, WINDOW)).rejects.toThrow('disk full');
    fail = false;
    await guard.persist(NOW, WINDOW);
    expect(saved).toBe(2);
  });
});

describe('link-replay.json', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('keeps invite hellos (key and invite id) across a restart, not only regular ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kith-replay-'));
    dirs.push(dir);
    const path = join(dir, 'link-replay.json');
    const before = new ReplayGuard(replayFile(path));
    await before.ready();
    const regular = key(7);
    const invite = new Uint8Array([...key(8), ...key(9, 16)]);
    expect(before.accept(regular, at(NOW))).toBe(true);
    expect(before.accept(invite, at(NOW))).toBe(true);
    await before.persist(NOW, WINDOW);

    const after = new ReplayGuard(replayFile(path));
    await after.ready();
    expect(after.isNewer(regular, at(NOW))).toBe(false);
    // Was read back as nothing: the same invite hello replayed after a restart got message 2.
    expect(after.isNewer(invite, at(NOW))).toBe(false);
    expect(after.isNewer(invite, at(NOW) + 1n)).toBe(true);
  });
});

describe('the peer port and a slow disk', () => {
  it('answers a friend whose hello it cannot save in time (a save took 10 to 13 s on a loaded disk)', async () => {
    let saves = 0;
    // A disk that never finishes the write: message 2 waited for it, past the initiator's deadline.
    const stuck = new ReplayGuard({
      load: async () => new Map(),
      save: () => {
        saves++;
        return new Promise<void>(() => {});
      },
    });
    const node = await startNode({ replayGuard: stuck, limits: { handshakeTimeoutMs: 10_000 } });
    try {
      const friend = freshKeyPair('friend');
      allow(node, friend);
      const link = await connectLink({
        url: node.url,
        staticKeyPair: friend,
        remoteStaticKey: node.keys.publicKey,
        clock,
        random: seededRandom('slow-disk'),
        timestamps: timestamps(),
        limits: { handshakeTimeoutMs: 10_000 },
      });
      expect(link.isOpen).toBe(true);
      expect(saves).toBe(1);
      link.close();
    } finally {
      await node.close();
    }
  });
});
