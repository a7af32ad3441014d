/**
 * Conversations from the command line with real processes on ONE node (docs/DESIGN.md §12): `kith up`
 * (the consensus worker runs inside), `kith conversation create … --member <own id>`, `kith post`,
 * `kith vote`, and `kith conversation show --json` reaching `closed` with `result.winner`, for
 * `--method schulze` and for a custom `--rule`; usage errors exit 2 naming the problem. Then the
 * same data dir under `kith agent` + `kith consensus` (two processes).
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KithNode, waitFor } from '../../test/helpers/cluster.ts';
import { makeTempDir } from '../../test/helpers/database.ts';
import { runKith, spawnKith } from '../../test/helpers/kith-cli.ts';

interface Shown {
  id: string;
  status: 'open' | 'closed';
  tally: { turnout: number; eligible: number };
  outcome: null | { result: { passed: boolean; winner?: string | null; reason: string }; heads: string[] };
  events: number;
}

const portBase = 24_000 + Math.floor(Math.random() * 10_000);

describe('kith conversation / post / vote (real processes, one node)', () => {
  let dir: string;
  let node: KithNode;
  let me: string;
  const children: ChildProcess[] = [];

  const kith = (...args: string[]) => runKith([...args, '--data', node.dataDir]);
  const closedView = (id: string) =>
    waitFor(`conversation ${id.slice(0, 8)} to close`, async () => {
      const v = await node.api<Shown>(`/conversations/${id}`);
      return v.status === 'closed' ? v : undefined;
    });

  beforeAll(async () => {
    dir = await makeTempDir('kith-conv-cli-');
    node = new KithNode({
      dataDir: join(dir, 'a'),
      host: '127.0.0.1',
      peerPort: portBase,
      apiPort: portBase + 1,
      heartbeatMeanMs: 1000,
    });
    const init = await runKith([
      'init',
      '--data',
      node.dataDir,
      '--phrase-file',
      join(dir, 'phrase'),
      '--json',
    ]);
    expect(init.code, init.stderr).toBe(0);
    me = (init.json as { userId: string }).userId;
    await node.start();
  }, 120_000);

  afterAll(async () => {
    await node?.kill();
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('schulze: create, post, vote --rank, show --json reaches closed with result.winner', async () => {
    const created = await node.cli<{ id: string; status: string; members: string[] }>(
      'conversation',
      'create',
      '--topic',
      'Film night',
      '--pattern',
      'proposal',
      '--method',
      'schulze',
      '--option',
      'alien',
      '--option',
      'brazil',
      '--option',
      'casablanca',
      '--member',
      me,
    );
    expect(created.id).toMatch(/^[0-9a-f]{64}$/);
    expect(created).toMatchObject({ status: 'open', members: [me] });
    const posted = await node.cli<{ id: string }>('post', created.id, 'Brazil, please.');
    expect(posted.id).toMatch(/^[0-9a-f]{64}$/);
    const voted = await node.cli<{ id: string }>('vote', created.id, '--rank', 'brazil,casablanca,alien');
    expect(voted.id).toMatch(/^[0-9a-f]{64}$/);
    await closedView(created.id);
    const shown = await node.cli<Shown>('conversation', 'show', created.id);
    expect(shown.status).toBe('closed');
    expect(shown.outcome?.result).toMatchObject({ passed: true, winner: 'brazil' });
    expect(shown.outcome?.heads).toEqual([voted.id]);
    expect(shown.tally).toMatchObject({ turnout: 1, eligible: 1 });
    const late = await kith('vote', created.id, '--rank', 'alien', '--json');
    expect(late.code).toBe(1);
    expect((late.json as { error: { code: string } }).error.code).toBe('CONVERSATION_CLOSED');
  });

  it('a custom --rule (with --param winner=schulze) closes when it turns true', async () => {
    const created = await node.cli<{ id: string }>(
      'conversation',
      'create',
      '--topic',
      'Lunch time',
      '--pattern',
      'time-poll',
      '--rule',
      'remaining == 0 && turnout >= 1',
      '--param',
      'winner=schulze',
      '--option',
      'noon',
      '--option',
      'one',
      '--member',
      me,
      '--deadline',
      new Date(Date.now() + 86_400_000).toISOString(),
    );
    const open = await node.cli<Shown & { rule: string }>('conversation', 'show', created.id);
    expect(open).toMatchObject({ status: 'open', outcome: null, rule: 'remaining == 0 && turnout >= 1' });
    await node.cli('vote', created.id, '--rank', 'one,noon');
    await closedView(created.id);
    const shown = await node.cli<Shown>('conversation', 'show', created.id);
    expect(shown.outcome?.result).toMatchObject({ passed: true, winner: 'one' });
  });

  it('usage errors exit 2 and name the problem; agent refusals exit 1 with their code', async () => {
    // Each is a separate process (a few seconds each): a few representative ones.
    const cases: [string[], RegExp][] = [
      [['vote', 'f'.repeat(64)], /Say how you vote/],
      [['vote', 'f'.repeat(64), '--yes', '--no'], /only one way/],
      [['vote', 'nope', '--ack'], /not a conversation id/],
      [['vote', 'f'.repeat(64), '--score', 'a=x'], /OPTION=NUMBER/],
      [
        ['conversation', 'create', '--topic', 't', '--pattern', 'proposal', '--member', me],
        /--method M .* or --rule/,
      ],
      [
        [
          'conversation',
          'create',
          '--topic',
          't',
          '--pattern',
          'sense-check',
          '--method',
          'majority',
          '--member',
          me,
          '--deadline',
          'soon',
        ],
        /ISO 8601/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await kith(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const unknown = await kith('conversation', 'show', 'f'.repeat(64), '--json');
    expect(unknown.code).toBe(1);
    expect((unknown.json as { error: { code: string } }).error.code).toBe('CONVERSATION_UNKNOWN');
    const badMethod = await kith(
      'conversation',
      'create',
      '--topic',
      't',
      '--pattern',
      'sense-check',
      '--method',
      'vibes',
      '--member',
      me,
      '--json',
    );
    expect(badMethod.code).toBe(1);
    expect((badMethod.json as { error: { code: string } }).error.code).toBe('CONSENSUS_UNKNOWN_METHOD');
  }, 120_000);

  it('kith agent + kith consensus (separate processes) on the same data dir record the outcome', async () => {
    expect(await node.stop()).toBe(0);
    const start = (args: string[]) => {
      const running = spawnKith([...args, '--data', node.dataDir], {
        env: { DATABASE_URL: '', KITH_LOG_LEVEL: 'warn' },
      });
      children.push(running.child);
      return running;
    };
    // the worker first: it waits for the agent
    const worker = start(['consensus']);
    const agent = start([
      'agent',
      '--host',
      '127.0.0.1',
      '--peer-port',
      String(portBase),
      '--api-port',
      String(portBase + 1),
    ]);
    await agent.waitForOutput('kith: running as', 60_000);
    // what was closed under `kith up` is still closed
    expect((await kith('conversation', 'list', '--status', 'closed', '--json')).json).toHaveLength(2);
    const created = await node.cli<{ id: string }>(
      'conversation',
      'create',
      '--topic',
      'Paint it green?',
      '--pattern',
      'sense-check',
      '--method',
      'majority',
      '--member',
      me,
    );
    await node.cli('vote', created.id, '--choice', 'yes');
    const shown = await closedView(created.id);
    expect(shown.outcome?.result).toMatchObject({ passed: true, reason: 'all-voted' });
    worker.child.kill('SIGTERM');
    agent.child.kill('SIGTERM');
    expect(await Promise.all([worker.exited, agent.exited])).toEqual([0, 0]);
  }, 120_000);
});
