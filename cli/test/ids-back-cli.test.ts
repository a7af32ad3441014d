/**
 * Issue #14: every id a command shows in its human output is accepted back by every command that
 * takes one. The ids are read out of what `kith` prints for a person (never its --json), then
 * typed back into the commands that take them: user ids, names and the short ids beside names
 * (`friends`, `peers`, `messages`, `send`, `archive status`, `status`), conversation ids (`send`),
 * invite ids and their start (`invites`), archive ids, their start and conversation ids
 * (`archive history`, `archive current`). Conversation ids of `conversation list` and device ids
 * are covered in errors-cli.test.ts and recovery-cluster.test.ts; no command takes a message id.
 *
 * User A has two devices (phone and appliance, both running, so history can be sealed to them)
 * and a friend B, all real nodes in this process on loopback; every command is a real `kith`
 * process pointed at a node's data directory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/cluster.ts';
import { makeTempDir } from '../../test/helpers/database.ts';
import { startPhoneApplianceAndFriend } from '../../test/helpers/in-process-node.ts';
import { type CliResult, runKith } from '../../test/helpers/kith-cli.ts';
import { createLogger } from '../../services/agent/src/logger.ts';
import { type RunningNode, runNode } from '../../services/agent/src/node.ts';

function start(dir: string, host: string): Promise<RunningNode> {
  return runNode({
    flags: { data: dir, host, peerPort: '0', apiPort: '0', heartbeatMeanMs: '1000', logLevel: 'silent' },
    // Past the history age at once, so `archive sync` moves the conversation to history.
    env: { KITH_PORT_WINDOWS: 'off', KITH_PORT_MAPPING: 'off', KITH_ARCHIVE_HISTORY_AFTER_DAYS: '0' },
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
  });
}

/** The cells of a table row (two or more spaces between columns). */
const cells = (line: string) => line.trim().split(/\s{2,}/);
/** The id in brackets beside a name: `Ana (abcde-fghij)` or `me (abcde-fghij)`. */
const shortIdIn = (text: string) => /\(([0-9a-z]{5}-[0-9a-z]{5})[,)]/.exec(text)?.[1];

describe('ids a command shows are accepted back', () => {
  let phone: RunningNode;
  let appliance: RunningNode;
  let friend: RunningNode;
  const on =
    (n: RunningNode) =>
    async (...args: string[]): Promise<CliResult> => {
      const r = await runKith([...args, '--data', n.config.dataDir]);
      expect(r.code, `kith ${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r;
    };

  beforeAll(async () => {
    const dir = await makeTempDir('kith-ids-back-');
    ({ phone, appliance, friend } = await startPhoneApplianceAndFriend({
      dir,
      hosts: ['127.0.0.205', '127.0.0.206', '127.0.0.207'],
      start,
    }));
    await on(friend)('name', 'Bruno Lima');
    await on(phone)('name', 'Ana');
    await waitFor('each knows the other’s name', async () => {
      const [a, b] = await Promise.all(
        [phone.agent.api, friend.agent.api].map((api, i) =>
          api.inject({
            method: 'GET',
            url: '/api/friends',
            headers: { authorization: `Bearer ${[phone, friend][i]!.agent.apiToken}` },
          }),
        ),
      );
      const named = (r: typeof a, name: string) =>
        (r!.json() as { name: string | null }[]).some((f) => f.name === name);
      return named(a, 'Bruno Lima') && named(b, 'Ana');
    });
  }, 240_000);

  afterAll(async () => {
    await Promise.all([phone?.shutdown(), appliance?.shutdown(), friend?.shutdown()]);
  }, 60_000);

  it('user ids, names and short ids; conversation ids', async () => {
    const a = on(phone);
    const b = on(friend);
    // `kith friends`: the name and user id columns.
    const row = (await a('friends')).stdout.split('\n').find((l) => l.includes('Bruno Lima'));
    const [, name, userId] = cells(row!);
    expect(name).toBe('Bruno Lima');
    expect(userId).toBe(friend.node.userId);
    const sent = await a('send', '--to', userId!, 'by user id');
    await a('send', '--to', name!, 'by name');
    await a('send', '--to', 'bruno lima', 'by name in another case');
    // `kith send`: "Sent ID in CONVERSATION (with Bruno Lima (abcde-fghij))."
    const m = /^Sent \S+ in (\S+) \(with (.*)\)\.$/.exec(sent.stdout.trim());
    expect(m, sent.stdout).not.toBeNull();
    const [, conversation, withLabel] = m!;
    await a('send', '--conversation', conversation!, 'by conversation id');
    expect((await a('messages', '--conversation', conversation!)).stdout).toContain('by conversation id');
    await a('send', '--to', shortIdIn(withLabel!)!, 'by the short id of send');
    // `kith peers`: whose device, as a name and short id.
    const peerRow = (await a('peers')).stdout.split('\n').find((l) => l.includes(friend.node.deviceId));
    const whose = shortIdIn(peerRow!);
    expect(whose).toBeDefined();
    await a('send', '--to', whose!, 'by the short id of peers');
    // `kith status`: my user id, for --member.
    const me = /^User (\S+), device/.exec((await a('status')).stdout)?.[1];
    expect(me).toBe(phone.node.userId);
    await a(
      'conversation',
      'create',
      '--topic',
      'ids',
      '--pattern',
      'sense-check',
      '--method',
      'majority',
      '--member',
      me!,
      '--member',
      whose!,
    );
    // B's `kith messages`: the sender's name and short id.
    await waitFor('B has A’s messages', async () => {
      const r = await runKith(['messages', '--data', friend.config.dataDir]);
      return r.stdout.includes('by the short id of peers');
    });
    const line = (await b('messages')).stdout.split('\n').find((l) => l.includes('by user id'));
    expect(line).toContain('Ana (');
    await b('send', '--to', shortIdIn(line!)!, 'back by the short id of messages');
    await b('send', '--to', 'Ana', 'back by name');
  }, 180_000);

  it('invite ids, whole and their start', async () => {
    const a = on(phone);
    await a('invite', '--json');
    await a('invite', '--json');
    const listed = (await a('invites')).stdout
      .split('\n')
      .map((l) => cells(l)[0]!)
      .filter((c) => /^[0-9a-f]{32}$/.test(c));
    expect(listed).toHaveLength(2);
    expect((await a('invite', '--cancel', listed[0]!)).stdout).toContain(listed[0]!);
    expect((await a('invite', '--cancel', listed[1]!.slice(0, 8))).stdout).toContain(listed[1]!);
    expect((await a('invites')).stdout).toContain('No open invites.');
  }, 60_000);

  it('archive ids, their start and conversation ids; holders’ user ids', async () => {
    const a = on(phone);
    await a('archive', 'sync');
    // `kith archive history`: "BLOB  DATE  N messages  CONVERSATION"; the direct conversation's line.
    const line = await waitFor('the direct conversation in history', async () =>
      (await a('archive', 'history')).stdout.split('\n').find((l) => /^[0-9a-f]{64} .* d-[0-9a-f]+$/.test(l)),
    );
    const words = line.split(/\s+/);
    const [blob, conversation] = [words[0]!, words[words.length - 1]!];
    // Each form opens the same conversation (once the holders have their copies).
    const opened = (id: string) =>
      waitFor(
        `archive get ${id}`,
        async () => {
          const r = await runKith(['archive', 'get', id, '--data', phone.config.dataDir]);
          return r.code === 0 ? r.stdout : undefined;
        },
        120_000,
        1000,
      );
    for (const id of [blob, blob.slice(0, 12), conversation])
      expect(await opened(id)).toContain('by user id');
    // `kith archive current` lists what is current (nothing here once history took it) by the same ids.
    for (const l of (await a('archive', 'current')).stdout
      .split('\n')
      .filter((x) => /^[0-9a-f]{64} /.test(x)))
      expect(await opened(cells(l)[0]!.slice(0, 12))).toBeTruthy();
    // `kith archive status`: a friend holder's user id (its start) for --to.
    const holder = await waitFor('a friend among the holders', async () => {
      const r = await runKith(['archive', 'status', '--data', phone.config.dataDir]);
      return /friend (\S+)/.exec(r.stdout)?.[1];
    });
    await a('send', '--to', holder!, 'by the id archive status shows');
  }, 240_000);
});
