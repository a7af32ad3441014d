/**
 * Issue #14 with real `kith` processes on ONE node: errors that say what is wrong (each a stable
 * code), names and id prefixes accepted back, and output in words (ballots, ties, archive
 * counts). Each case here failed or said something else before.
 */
import { type AddressInfo, createServer, type Server } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KithNode, waitFor } from '../../test/helpers/cluster.ts';
import { makeTempDir } from '../../test/helpers/database.ts';
import { runKith } from '../../test/helpers/kith-cli.ts';

const codeOf = (r: { json: unknown }) => (r.json as { error?: { code: string } } | undefined)?.error?.code;

describe('kith without a running node', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('kith-errors-cli-');
  });

  it('--data pointing at a missing directory is DATA_DIR_MISSING, not AGENT_NOT_RUNNING', async () => {
    const r = await runKith(['status', '--data', join(dir, 'nowhere'), '--json']);
    expect(r.code).toBe(1);
    expect(codeOf(r)).toBe('DATA_DIR_MISSING');
    expect(r.stderr).toContain('nowhere does not exist');
    // An existing directory with no agent is still AGENT_NOT_RUNNING.
    const idle = await runKith(['status', '--data', dir, '--json']);
    expect(codeOf(idle)).toBe('AGENT_NOT_RUNNING');
  });

  it('--ttl 5s says the allowed range in words', async () => {
    const r = await runKith(['invite', '--ttl', '5s', '--data', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--ttl 5s is too short: an invite stays open from 10 seconds to 24 hours');
    expect(r.stderr).not.toContain('ttlMs');
  });

  it('a peer port already in use is ADDRESS_IN_USE naming the port, not INTERNAL', async () => {
    // The system picks the blocked port (a fixed one could be any other process's at that moment).
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const r = await runKith(
        [
          'up',
          '--data',
          join(dir, 'busy'),
          '--host',
          '127.0.0.1',
          '--peer-port',
          String(port),
          '--api-port',
          '0',
          '--web-port',
          '0',
          '--json',
        ],
        { timeoutMs: 120_000 },
      );
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('ADDRESS_IN_USE');
      expect(r.stderr).toContain(`127.0.0.1:${port}`);
    } finally {
      blocker.close();
    }
  }, 150_000);
});

describe('kith with one running node', () => {
  let dir: string;
  let node: KithNode;
  let me: string;
  const kith = (...args: string[]) => runKith([...args, '--data', node.dataDir]);

  beforeAll(async () => {
    dir = await makeTempDir('kith-people-cli-');
    node = new KithNode({
      dataDir: join(dir, 'a'),
      host: '127.0.0.1',
      // Ports the system picks: fixed ones on 127.0.0.1 collided with another process's in CI.
      peerPort: 0,
      apiPort: 0,
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
  }, 150_000);

  afterAll(async () => {
    await node?.kill();
  });

  it('kith name sets my name in the identity log; --member takes me or my name', async () => {
    const set = await kith('name', 'Ana Lima', '--json');
    expect(set.code, set.stderr).toBe(0);
    expect(set.json).toMatchObject({ userId: me, name: 'Ana Lima' });
    const identity = await node.cli<{ name: string; logLength: number }>('identity');
    expect(identity.name).toBe('Ana Lima');
    const shown = await kith('name');
    expect(shown.stdout).toContain(`Ana Lima (${me})`);
    const created = await node.cli<{ members: string[] }>(
      'conversation',
      'create',
      '--topic',
      'by name',
      '--pattern',
      'sense-check',
      '--method',
      'majority',
      '--member',
      'ana lima',
    );
    expect(created.members).toEqual([me]);
    const unknown = await kith(
      'conversation',
      'create',
      '--topic',
      't',
      '--pattern',
      'sense-check',
      '--method',
      'majority',
      '--member',
      'Bruno',
      '--json',
    );
    expect(unknown.code).toBe(1);
    expect(codeOf(unknown)).toBe('NO_MATCH');
  });

  it('a deadline in the past is CONVERSATION_DEADLINE_IN_PAST, saying so', async () => {
    const r = await kith(
      'conversation',
      'create',
      '--topic',
      't',
      '--pattern',
      'sense-check',
      '--method',
      'majority',
      '--member',
      'me',
      '--deadline',
      '2001-01-01T00:00:00Z',
      '--json',
    );
    expect(r.code).toBe(1);
    expect(codeOf(r)).toBe('CONVERSATION_DEADLINE_IN_PAST');
    expect(r.stderr).toContain('not in the future');
  });

  it('the 12-character id of `conversation list` works for vote, post and show; an invalid vote lists the options; a tie says so', async () => {
    const created = await node.cli<{ id: string }>(
      'conversation',
      'create',
      '--topic',
      'Lunch',
      '--pattern',
      'proposal',
      '--method',
      'approval',
      '--option',
      'soup',
      '--option',
      'salad',
      '--member',
      'me',
    );
    const list = await kith('conversation', 'list');
    const short = created.id.slice(0, 12);
    expect(list.stdout).toContain(`${short}  Lunch`);
    expect(list.stdout).toContain('○ open');

    const bad = await kith('vote', short, '--approve', 'soup,pizza', '--json');
    expect(bad.code).toBe(1);
    expect(codeOf(bad)).toBe('CONSENSUS_BAD_BALLOT');
    expect(bad.stderr).toContain('"soup", "salad"');

    const post = await kith('post', short, 'either is fine');
    expect(post.code, post.stderr).toBe(0);
    const vote = await kith('vote', short, '--approve', 'soup,salad');
    expect(vote.code, vote.stderr).toBe(0);

    await waitFor('the outcome', async () => {
      const v = await node.cli<{ status: string }>('conversation', 'show', short);
      return v.status === 'closed' ? v : undefined;
    });
    const show = await kith('conversation', 'show', short);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('Ana Lima (');
    expect(show.stdout).toContain('approves soup, salad');
    expect(show.stdout).not.toContain('{"ballot"');
    expect(show.stdout).toMatch(/a tie between (soup, salad|salad, soup): each has 1 approvals/);
    expect(show.stdout).toContain('tie order');

    const tooShort = await kith('vote', created.id.slice(0, 3), '--ack');
    expect(tooShort.code).toBe(2);
    expect(tooShort.stderr).toContain('at least 4');
  }, 120_000);

  it('archive history says the same with --phrase-file as without when nothing is in history', async () => {
    const plain = await kith('archive', 'history');
    expect(plain.code, plain.stderr).toBe(0);
    const withPhrase = await kith('archive', 'history', '--phrase-file', join(dir, 'phrase'));
    expect(withPhrase.code, withPhrase.stderr).toBe(0);
    expect(withPhrase.stdout).toBe(plain.stdout);
    expect(plain.stdout).toContain('No conversation is in history yet.');
  }, 60_000);

  it('archive sync counts add up to the conversations', async () => {
    const r = await kith('archive', 'sync', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = r.json as {
      conversations: number;
      sealedCurrent: number;
      movedToHistory: number;
      unchanged: number;
      failed: unknown[];
    };
    expect(s.sealedCurrent + s.movedToHistory + s.unchanged + s.failed.length).toBe(s.conversations);
    const human = await kith('archive', 'sync');
    const first = human.stdout.split('\n')[0]!;
    const m =
      /^(\d+) conversations?: (\d+) sealed as current, (\d+) moved to history, (\d+) unchanged(?:, (\d+) not archived)?/.exec(
        first,
      );
    expect(m, first).not.toBeNull();
    const [total, ...parts] = m!.slice(1).map((x) => Number(x ?? 0));
    expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
  }, 60_000);

  it('a phrase pasted from the numbered grid is read in the order of its numbers', async () => {
    const words = (await import('node:fs')).readFileSync(join(dir, 'phrase'), 'utf8').trim().split(' ');
    const grid = Array.from({ length: 8 }, (_, r) =>
      [r, r + 8, r + 16].map((i) => `${String(i + 1).padStart(2)}. ${words[i]}`.padEnd(16)).join(''),
    ).join('\n');
    await writeFile(join(dir, 'grid'), grid);
    const r = await kith('archive', 'history', '--phrase-file', join(dir, 'grid'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('No conversation is in history yet.');
  }, 60_000);
});
