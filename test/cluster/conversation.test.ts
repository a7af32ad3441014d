/**
 * Conversations and consensus across three users on three `kith up` nodes (issue
 * "Conversations and consensus", point 6): a proposal decided by Schulze and one by a custom CEL
 * rule, each taken to its outcome; every node shows the same signed outcome; a vote after
 * closing is refused.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClusterDatabases,
  KithNode,
  nextPorts,
  pairAndConfirm,
  type PeerJson,
  waitFor,
} from '../helpers/cluster.ts';
import { makeTempDir } from '../helpers/database.ts';
import { runKith } from '../helpers/kith-cli.ts';

interface Shown {
  id: string;
  status: 'open' | 'closed';
  events: number;
  outcome: null | {
    id: string;
    result: { winner?: string | null; passed?: boolean };
    heads: string[];
    by: { userId: string };
  };
  disagreements: unknown[];
}

// One database kind keeps CI time in check; the other cluster suites cover both.
describe('a proposal among three users on three nodes', () => {
  const databases = new ClusterDatabases('pglite');
  const nodes: KithNode[] = [];
  const ids: Record<string, string> = {};
  let a: KithNode;
  let b: KithNode;
  let c: KithNode;

  async function makeNode(name: string, host: string): Promise<KithNode> {
    const dir = await makeTempDir(`kith-conv3-${name}-`);
    const node = new KithNode({ dataDir: join(dir, 'data'), host, ...nextPorts(), heartbeatMeanMs: 400 });
    nodes.push(node);
    const init = await runKith(['init', '--data', node.dataDir, '--name', name, '--json']);
    ids[name] = (init.json as { userId: string }).userId;
    return node;
  }

  async function pair(x: KithNode, y: KithNode): Promise<void> {
    await pairAndConfirm(x, y);
  }

  const show = (node: KithNode, id: string) => node.api<Shown>(`/conversations/${id}`);
  const closedAt = (node: KithNode, id: string) =>
    waitFor(
      'closed',
      async () => {
        const v = await show(node, id);
        return v.status === 'closed' ? v : undefined;
      },
      120_000,
      300,
    );

  beforeAll(async () => {
    a = await makeNode('ana', '127.0.0.41');
    b = await makeNode('ben', '127.0.0.42');
    c = await makeNode('cai', '127.0.0.43');
    await Promise.all(nodes.map((n) => n.start()));
    await pair(a, b);
    await pair(a, c);
    await pair(b, c);
    for (const n of nodes) {
      await waitFor(
        'all linked',
        async () => (await n.api<PeerJson[]>('/peers')).filter((p) => p.online).length === 2,
      );
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await databases.dispose();
  }, 60_000);

  it('--method schulze: all three vote, all three report the same signed outcome; a late vote is refused', async () => {
    const { id } = await a.cli<{ id: string }>(
      'conversation',
      'create',
      '--topic',
      'Where do we meet?',
      '--pattern',
      'proposal',
      '--method',
      'schulze',
      '--option',
      'cafe',
      '--option',
      'library',
      '--option',
      'park',
      '--member',
      ids.ana!,
      '--member',
      ids.ben!,
      '--member',
      ids.cai!,
    );
    for (const n of [b, c])
      await waitFor('genesis arrived', async () => (await show(n, id)).status === 'open');
    await a.cli('vote', id, '--rank', 'park,cafe,library');
    await b.cli('vote', id, '--rank', 'cafe,park,library');
    await c.cli('vote', id, '--rank', 'park,library,cafe');
    const [atA, atB, atC] = await Promise.all([closedAt(a, id), closedAt(b, id), closedAt(c, id)]);
    expect(atA.outcome?.result.winner).toBe('park');
    expect(atB.outcome).toEqual(atA.outcome);
    expect(atC.outcome).toEqual(atA.outcome);
    expect(atA.outcome?.heads.length).toBeGreaterThan(0);
    for (const n of [a, b, c]) {
      const shown = await n.cli<Shown>('conversation', 'show', id);
      expect(shown).toMatchObject({ status: 'closed', disagreements: [] });
      expect(shown.outcome?.id).toBe(atA.outcome?.id);
    }
    const late = await runKith(['vote', id, '--rank', 'cafe', '--data', c.dataDir, '--json']);
    expect(late.code).toBe(1);
    expect((late.json as { error: { code: string } }).error.code).toBe('CONVERSATION_CLOSED');
  }, 300_000);

  it('--rule: a custom CEL predicate closes the proposal identically on all three', async () => {
    const { id } = await b.cli<{ id: string }>(
      'conversation',
      'create',
      '--topic',
      'Move the meeting to Friday?',
      '--pattern',
      'proposal',
      '--rule',
      'remaining == 0 && turnout >= 3',
      '--param',
      'winner=schulze',
      '--option',
      'yes',
      '--option',
      'no',
      '--member',
      ids.ana!,
      '--member',
      ids.ben!,
      '--member',
      ids.cai!,
    );
    for (const n of [a, c])
      await waitFor('genesis arrived', async () => (await show(n, id)).status === 'open');
    await a.cli('vote', id, '--rank', 'yes,no');
    await b.cli('vote', id, '--rank', 'no,yes');
    expect((await show(b, id)).status).toBe('open');
    await c.cli('vote', id, '--rank', 'yes,no');
    const [atA, atB, atC] = await Promise.all([closedAt(a, id), closedAt(b, id), closedAt(c, id)]);
    expect(atB.outcome?.result).toMatchObject({ passed: true, winner: 'yes' });
    expect(atA.outcome).toEqual(atB.outcome);
    expect(atC.outcome).toEqual(atB.outcome);
  }, 300_000);
});
