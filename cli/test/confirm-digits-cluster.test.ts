/**
 * Both people confirm the six digits before a friendship is active (issue #14, docs/SECURITY.md
 * "Pairing"): after the handshake each side holds the other as pending, shares nothing with them
 * and refuses what they send; `kith confirm` makes it active on that side, `kith reject` ends it
 * and forgets them, and the other side is told over the pairing's link. Real `kith up` processes.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClusterDatabases,
  clusterDatabaseKind,
  type KithNode,
  type PeerJson,
  waitFor,
} from '../../test/helpers/cluster.ts';
import { makeTempDir } from '../../test/helpers/database.ts';
import { kithOnTerminal, runKith } from '../../test/helpers/kith-cli.ts';

interface Accepted {
  userId: string;
  sas: string;
  state: string;
}
interface Pending {
  userId: string;
  name: string | null;
  sas: string;
  side: string;
}
interface ErrorJson {
  error: { code: string; message: string };
}

describe.each(clusterDatabaseKind())('the six digits on %s (real processes)', (kind) => {
  const databases = new ClusterDatabases(kind);
  let a: KithNode;
  let b: KithNode;
  let c: KithNode;
  const ids: Record<'a' | 'b' | 'c', { userId: string; deviceId: string }> = {} as never;

  beforeAll(async () => {
    const dir = await makeTempDir(`kith-digits-${kind}-`);
    a = await databases.node(join(dir, 'a'), '127.0.0.111', 2000);
    b = await databases.node(join(dir, 'b'), '127.0.0.112', 2000);
    c = await databases.node(join(dir, 'c'), '127.0.0.113', 2000);
    for (const [node, name] of [
      [a, 'Ana'],
      [b, 'Ben'],
      [c, 'Cleo'],
    ] as const)
      expect((await runKith(['init', '--data', node.dataDir, '--name', name])).code).toBe(0);
    const slow = { startTimeoutMs: 400_000 };
    await Promise.all([a.start(slow), b.start(slow), c.start(slow)]);
    for (const [k, node] of [
      ['a', a],
      ['b', b],
      ['c', c],
    ] as const)
      ids[k] = await node.cli<{ userId: string; deviceId: string }>('status');
  }, 600_000);

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill(), c?.kill()]);
    await databases.dispose();
  });

  const refusedHellos = async (node: KithNode) =>
    ((await node.log()).match(/initiator not authorised/g) ?? []).length;

  it('nothing is shared until the inviter confirms; then the message goes through', async () => {
    const invite = await a.cli<{ id: string; code: string }>('invite');
    // Not on a terminal and no --yes-digits-match: the pairing waits for an answer.
    const accepted = await b.cli<Accepted>('accept', invite.code);
    expect(accepted).toMatchObject({ userId: ids.a.userId, state: 'pending' });
    expect(accepted.sas).toMatch(/^\d{3} \d{3}$/);

    // Each side holds the other as pending, with the same six digits, and not as a friend.
    const pendingA = await a.api<Pending[]>('/friends/pending');
    expect(pendingA).toEqual([
      expect.objectContaining({ userId: ids.b.userId, name: 'Ben', sas: accepted.sas, side: 'inviter' }),
    ]);
    expect(await b.api<Pending[]>('/friends/pending')).toEqual([
      expect.objectContaining({ userId: ids.a.userId, sas: accepted.sas, side: 'acceptor' }),
    ]);
    expect(await a.cli('friends')).toEqual([]);
    expect(await b.cli('friends')).toEqual([]);
    const human = await runKith(['friends', '--data', a.dataDir]);
    expect(human.stdout).toContain('Waiting for the six digits');
    expect(human.stdout).toContain(accepted.sas);

    // Nothing is sent to a pending friend.
    const early = await runKith(['send', '--to', 'Ana', 'too early', '--data', b.dataDir, '--json']);
    expect(early.code).toBe(1);
    expect((early.json as ErrorJson).error.code).toBe('FRIEND_PENDING');

    // B's person confirms: B's side is active and B sends; A has not confirmed, so A refuses
    // B's handshakes and the message waits at B.
    const before = await refusedHellos(a);
    expect(await b.cli('confirm', 'Ana')).toEqual({ userId: ids.a.userId, state: 'active' });
    await b.cli('send', '--to', 'Ana', 'hello after the digits');
    await waitFor('A refuses a handshake of B', async () => (await refusedHellos(a)) > before, 120_000);
    expect(await a.cli('messages')).toEqual([]);
    expect((await a.cli<PeerJson[]>('peers')).map((p) => p.deviceId)).not.toContain(ids.b.deviceId);
    expect((await b.cli<PeerJson[]>('peers')).find((p) => p.deviceId === ids.a.deviceId)?.online).toBe(false);

    // A's person confirms: links form and the message arrives.
    expect(await a.cli('confirm', 'Ben')).toEqual({ userId: ids.b.userId, state: 'active' });
    expect(await a.api<Pending[]>('/friends/pending')).toEqual([]);
    await waitFor(
      'the message reaches A',
      async () =>
        (await a.cli<{ text: string }[]>('messages')).some((m) => m.text === 'hello after the digits'),
      120_000,
    );
    expect((await a.cli<{ userId: string }[]>('friends')).map((f) => f.userId)).toEqual([ids.b.userId]);

    // `kith friends` for a person: a header, a row per friend with ● while linked, the legend.
    await waitFor(
      'A lists Ben online',
      async () => (await a.cli<{ online: boolean }[]>('friends'))[0]?.online === true,
      120_000,
    );
    const table = (await runKith(['friends', '--data', a.dataDir])).stdout.split('\n');
    expect(table[0]).toMatch(/^\s+NAME\s+USER ID\s+DEVICES\s+ADDRESS\s*$/);
    expect(table.find((l) => l.includes(ids.b.userId))).toMatch(/^● +Ben +\S+ +1 +\S+/);
    expect(table).toContain('● online (a device of theirs is linked now)   ○ offline');
    // `kith peers` says whose device each line is.
    const peers = (await runKith(['peers', '--data', a.dataDir])).stdout.split('\n');
    expect(peers[0]).toMatch(/STATE\s+DEVICE ID\s+WHOSE/);
    expect(peers.find((l) => l.includes(ids.b.deviceId))).toMatch(/^● +online +\S+ +Ben /);
  }, 400_000);

  it('a reject ends the pairing and forgets the other user; the other side is told', async () => {
    const invite = await a.cli<{ code: string }>('invite');
    const accepted = await c.cli<Accepted>('accept', invite.code, '--yes-digits-match');
    expect(accepted.state).toBe('active');
    expect((await a.api<Pending[]>('/friends/pending')).map((p) => p.userId)).toEqual([ids.c.userId]);
    // A pending pairing says when it ends by itself.
    const waiting = (await runKith(['friends', '--data', a.dataDir])).stdout;
    expect(waiting).toMatch(/DIGITS\s+ENDS AT/);
    expect(waiting).toContain('A pairing not confirmed within an hour ends by itself.');
    // The digits differ on A's screen.
    const rejected = await runKith(['reject', 'Cleo', '--data', a.dataDir, '--json']);
    expect(rejected.json).toEqual({ userId: ids.c.userId, state: 'forgotten' });
    expect(await a.api<Pending[]>('/friends/pending')).toEqual([]);
    expect((await a.cli<{ userId: string }[]>('friends')).map((f) => f.userId)).toEqual([ids.b.userId]);
    // Forgotten: a confirm now has nothing to confirm, and C's devices are not A's peers.
    const late = await runKith(['confirm', ids.c.userId, '--data', a.dataDir, '--json']);
    expect((late.json as ErrorJson).error).toMatchObject({
      code: 'PAIRING_NOT_PENDING',
      message: expect.stringContaining('You rejected the pairing with Cleo'),
    });
    expect((await a.cli<PeerJson[]>('peers')).map((p) => p.deviceId)).not.toContain(ids.c.deviceId);
    // C had confirmed: the pairing's link tells it, and the friendship it made ends there too.
    await waitFor(
      'C hears that Ana rejected the pairing',
      async () => (await c.cli<{ userId: string }[]>('friends')).length === 0,
      120_000,
    );
    const told = (await runKith(['friends', '--data', c.dataDir])).stdout;
    expect(told).toContain('Ended lately:');
    expect(told).toMatch(
      /Ana rejected the pairing at \d\d:\d\d UTC \(the six digits did not match on their screen\)/,
    );
    const send = await runKith([
      'send',
      '--to',
      'Ana',
      'from a rejected pairing',
      '--data',
      c.dataDir,
      '--json',
    ]);
    expect(send.code).toBe(1);
    expect((await a.cli<{ text: string }[]>('messages')).map((m) => m.text)).not.toContain(
      'from a rejected pairing',
    );
  }, 400_000);

  it('a question waiting on a terminal ends when the other side rejects, saying so', async () => {
    // Cleo ended the friendship above (and blocked Ana): her own new invite makes it possible again.
    const invite = await c.cli<{ code: string }>('invite');
    // Ana is asked on a terminal and does not answer; meanwhile Cleo rejects.
    let rejected: Promise<unknown> | undefined;
    const asked = await kithOnTerminal(['accept', invite.code, '--data', a.dataDir], {
      timeoutMs: 150_000,
      onOutput: (output) => {
        // Cleo rejects once her own node holds Ana as pending (as a person would, after seeing
        // the digits on her screen): Ana's question can appear a moment before that.
        if (!rejected && output.includes('[y/N]'))
          rejected = waitFor('Cleo holds Ana as pending', async () =>
            (await c.api<Pending[]>('/friends/pending')).some((p) => p.userId === ids.a.userId),
          )
            .then(() => c.cli('reject', 'Ana'))
            .catch((err: unknown) => err);
      },
    });
    expect(await rejected).toEqual({ userId: ids.a.userId, state: 'forgotten' });
    expect(asked.output).toMatch(/The six digits: \d{3} \d{3}/);
    // The question ends by itself with the reason; no answer was taken for the person.
    expect(asked.output).toMatch(
      /\[y\/N\] \r?\nkith: error PAIRING_ENDED: [^\r\n]*Cleo rejected the pairing at \d\d:\d\d UTC \(the six digits did not match on their screen\)/,
    );
    expect(asked.output).not.toContain('Not confirmed');
    expect(asked.code).toBe(1);
    expect(await a.api<Pending[]>('/friends/pending')).toEqual([]);
  }, 400_000);
});
