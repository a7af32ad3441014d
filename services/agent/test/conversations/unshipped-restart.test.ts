/**
 * A post stored on its author's device but never handed to messaging: the node stopped (was
 * killed) between the two writes, as the chaos suite's kills and address changes did (docs/
 * SECURITY.md "Chaos", seeds 610466794 and 826074312: one conversation divergent, and three posts
 * lost on every other device). Nothing asks a device for an event it lacks, so that post never
 * left, and every later post of its author, built on it, waited as pending everywhere else.
 * Two real nodes in this process (real links on loopback, real PGlite); the stop between the
 * two writes is made by failing the hand-over once, then the author restarts.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { pairInProcess, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import type { RunningNode } from '../../src/node.ts';

describe('an item stored but not handed to messaging', () => {
  let dir: string;
  let a: RunningNode;
  let b: RunningNode;

  beforeAll(async () => {
    dir = await makeTempDir('kith-unshipped-');
    [a, b] = await Promise.all([
      startInProcessNode(join(dir, 'a'), '127.0.0.2', { heartbeatMeanMs: 2000 }),
      startInProcessNode(join(dir, 'b'), '127.0.0.3', { heartbeatMeanMs: 2000 }),
    ]);
    await pairInProcess(a, b);
    await waitFor('linked', async () => a.node.session(b.node.deviceId) !== undefined);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.shutdown(), b?.shutdown()]);
  }, 60_000);

  it('is shipped at the next start, and the posts built on it are taken elsewhere', async () => {
    const { id } = await a.conversations.create({
      topic: 'unshipped',
      pattern: 'discussion',
      method: 'all-acknowledged',
      members: [a.node.userId, b.node.userId],
    });
    await waitFor('B has the group', async () => (await b.conversations.list()).some((c) => c.id === id));
    const onB = async (eventId: string) =>
      (await b.conversations.show(id)).timeline.some((e) => e.id === eventId);

    // The post is stored on A; handing it to messaging fails (A stopped in between), and so do
    // the tries while A still runs, so only the restart can ship it.
    const messenger = a.messenger;
    const publish = messenger.publishConversationItem.bind(messenger);
    let stopped = 0;
    let refused: Uint8Array | undefined;
    messenger.publishConversationItem = async (...args) => {
      if (args[2] === 'event' && (refused === undefined || Buffer.from(refused).equals(args[3]))) {
        stopped++;
        refused = args[3];
        throw new Error('the node stopped before the outbox took it');
      }
      return publish(...args);
    };
    const lone = await a.conversations.post(id, 'stored, never shipped');
    expect(stopped).toBeGreaterThanOrEqual(1);
    expect((await a.conversations.show(id)).timeline.some((e) => e.id === lone.id)).toBe(true);
    // A's next post is built on it: B keeps that one pending while the first is missing.
    const next = await a.conversations.post(id, 'built on it');
    await waitFor('B has the second post, pending', async () => (await b.conversations.show(id)).pending > 0);
    expect(await onB(lone.id)).toBe(false);
    expect(await onB(next.id)).toBe(false);

    // A starts again (same data directory): what it stored and never shipped goes now.
    await a.shutdown();
    a = await startInProcessNode(join(dir, 'a'), '127.0.0.2', { heartbeatMeanMs: 2000, restart: true });
    await waitFor('B applies the lone post', () => onB(lone.id), 90_000);
    await waitFor('B applies the post built on it', () => onB(next.id), 30_000);
    expect((await b.conversations.show(id)).pending).toBe(0);
  }, 240_000);
  it('is shipped again while the node runs when the hand-over failed once (no restart)', async () => {
    const { id } = await a.conversations.create({
      topic: 'refused once',
      pattern: 'discussion',
      method: 'all-acknowledged',
      members: [a.node.userId, b.node.userId],
    });
    await waitFor('B has the group', async () => (await b.conversations.list()).some((c) => c.id === id));
    const messenger = a.messenger;
    const publish = messenger.publishConversationItem.bind(messenger);
    let refusals = 0;
    messenger.publishConversationItem = async (...args) => {
      if (args[2] === 'event' && refusals === 0) {
        refusals++;
        throw new Error('the outbox refused it (a full disk)');
      }
      return publish(...args);
    };
    const refused = await a.conversations.post(id, 'refused once, then shipped');
    expect(refusals).toBe(1);
    // Five heartbeats later (10 s here) A tries again by itself.
    await waitFor(
      'B applies the refused post',
      async () => (await b.conversations.show(id)).timeline.some((e) => e.id === refused.id),
      90_000,
    );
  }, 120_000);
});
