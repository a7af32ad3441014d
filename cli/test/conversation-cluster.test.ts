/**
 * A conversation between two friends' nodes, end to end (docs/DESIGN.md §7, §8, §12): two `kith up`
 * processes pair from the command line; A creates a conversation with both as members; the
 * genesis and each vote travel as messages; A's worker (the creating device) records the
 * outcome once B's ballot arrived, and B takes it after re-evaluating it: both show the same
 * closed outcome. B's vote is cast while A is stopped, so it waits and arrives later.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KithNode, pairAndConfirm, waitFor } from '../../test/helpers/cluster.ts';
import { makeTempDir } from '../../test/helpers/database.ts';
import { runKith } from '../../test/helpers/kith-cli.ts';

interface Shown {
  status: 'open' | 'closed';
  events: number;
  outcome: null | { id: string; result: { winner?: string | null }; by: { userId: string } };
}

const portBase = 34_000 + Math.floor(Math.random() * 10_000);

describe('a conversation across two friends’ nodes (real processes)', () => {
  let a: KithNode;
  let b: KithNode;
  let aId: string;
  let bId: string;

  beforeAll(async () => {
    const dir = await makeTempDir('kith-conv-cluster-');
    const make = (name: string, host: string, port: number) =>
      new KithNode({
        dataDir: join(dir, name),
        host,
        peerPort: port,
        apiPort: port + 1,
        heartbeatMeanMs: 400,
      });
    a = make('a', '127.0.0.31', portBase);
    b = make('b', '127.0.0.32', portBase + 2);
    const ia = await runKith([
      'init',
      '--data',
      a.dataDir,
      '--name',
      'Ana',
      '--phrase-file',
      join(dir, 'pa'),
      '--json',
    ]);
    const ib = await runKith([
      'init',
      '--data',
      b.dataDir,
      '--name',
      'Ben',
      '--phrase-file',
      join(dir, 'pb'),
      '--json',
    ]);
    aId = (ia.json as { userId: string }).userId;
    bId = (ib.json as { userId: string }).userId;
    await Promise.all([a.start(), b.start()]);
    await pairAndConfirm(a, b);
    await waitFor('A and B are friends and online', async () => {
      const friends = await a.api<{ userId: string; online: boolean }[]>('/friends');
      return friends.some((f) => f.userId === bId && f.online);
    });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
  });

  it('both vote; the creator’s worker records; both show the same closed outcome', async () => {
    const created = await a.cli<{ id: string }>(
      'conversation',
      'create',
      '--topic',
      'Picnic: where?',
      '--pattern',
      'proposal',
      '--method',
      'schulze',
      '--option',
      'park',
      '--option',
      'beach',
      '--option',
      'hills',
      '--member',
      aId,
      '--member',
      bId,
    );
    const id = created.id;
    await a.cli('vote', id, '--rank', 'beach,hills,park');
    const seen = await waitFor('B has the conversation and A’s vote', async () => {
      const v = await b.api<Shown & { error?: unknown }>(`/conversations/${id}`);
      return v.events === 1 ? v : undefined;
    });
    expect(seen.status).toBe('open');
    // B votes while A is down: the vote waits and reaches A when it is back
    expect(await a.stop()).toBe(0);
    await b.cli('vote', id, '--rank', 'beach,park');
    await a.start();
    const atA = await waitFor(
      'A records the outcome',
      async () => {
        const v = await a.api<Shown>(`/conversations/${id}`);
        return v.status === 'closed' ? v : undefined;
      },
      90_000,
    );
    expect(atA.outcome?.result.winner).toBe('beach');
    expect(atA.outcome?.by.userId).toBe(aId);
    const atB = await waitFor(
      'B takes the outcome',
      async () => {
        const v = await b.api<Shown>(`/conversations/${id}`);
        return v.status === 'closed' ? v : undefined;
      },
      90_000,
    );
    expect(atB.outcome).toEqual(atA.outcome);
    const shownAtB = await b.cli<Shown & { disagreements: unknown[] }>('conversation', 'show', id);
    expect(shownAtB).toMatchObject({ status: 'closed', events: 2, disagreements: [] });
  }, 240_000);
});
