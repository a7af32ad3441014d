/**
 * A target whose disk is full while items reach it (the chaos suite's relay lost 125 (message,
 * device) pairs that way: docs/SECURITY.md "Chaos"). Two real nodes in this process (real links
 * on loopback, real PGlite); B's storage answers with the error PGlite gives on a full disk
 * (SQLSTATE 53100 under the ORM's error) for a while, then space returns. The link between them
 * stays up all along, as an always-on relay's does: a link is never sent the same item twice,
 * so what B did not store must come again on that same link.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { pairInProcess, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import type { AgentEvent } from '../../src/event-bus.ts';
import type { ConversationItemHandler } from '../../src/messaging/messenger.ts';
import { MessageRepository } from '../../src/repositories/message-repository.ts';
import type { RunningNode } from '../../src/node.ts';

/** What PGlite throws when it cannot extend a table's file, as drizzle wraps it. */
function diskFullError(): Error {
  const pglite = Object.assign(new Error('could not extend file "base/5/16446": No space left on device'), {
    code: '53100',
  });
  return new Error('Failed query: insert into "messages" …', { cause: pglite });
}

describe('a target with a full disk', () => {
  let a: RunningNode;
  let b: RunningNode;
  const refusals: AgentEvent[] = [];

  beforeAll(async () => {
    const dir = await makeTempDir('kith-disk-full-');
    [a, b] = await Promise.all([
      // 2 s heartbeats (the machine's rule for multi-node tests): the link must not flap, since
      // the test checks the item came again on the same one. The pump runs every 2 s then, and
      // a refused item goes again 5 pumps (10 s) later.
      startInProcessNode(join(dir, 'a'), '127.0.0.2', { heartbeatMeanMs: 2000 }),
      startInProcessNode(join(dir, 'b'), '127.0.0.3', { heartbeatMeanMs: 2000 }),
    ]);
    a.node.options.events.subscribe((e) => {
      if (e.type === 'relay.refused') refusals.push(e);
    });
    await pairInProcess(a, b);
    await waitFor('linked', async () => a.node.session(b.node.deviceId) !== undefined);
  }, 120_000);

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    await Promise.all([a?.shutdown(), b?.shutdown()]);
  }, 60_000);

  const texts = async (n: RunningNode) => (await n.messenger.list()).map((m) => m.text);

  it('refuses what it could not store, and gets it on the same link once space returns', async () => {
    await a.messenger.sendText({ to: b.node.userId }, 'before');
    await waitFor('B has the first', async () => (await texts(b)).includes('before'));

    // B's disk is full: every insert of received items fails, as PGlite's does.
    const bRepo = (b.messenger as unknown as { repo: MessageRepository }).repo;
    let full = true;
    const insert = MessageRepository.prototype.insertReceived;
    vi.spyOn(MessageRepository.prototype, 'insertReceived').mockImplementation(function (
      this: MessageRepository,
      ...args
    ) {
      if (this === bRepo && full) return Promise.reject(diskFullError());
      return insert.apply(this, args);
    });
    const link = a.node.session(b.node.deviceId);
    await a.messenger.sendText({ to: b.node.userId }, 'while the disk is full');
    await waitFor(
      'B says it could not store it',
      async () => refusals.some((e) => e.data.by === b.node.deviceId && e.data.code === 'DISK_FULL'),
      30_000,
    );
    expect(await texts(b)).not.toContain('while the disk is full');

    full = false; // space returns
    await waitFor('B has it', async () => (await texts(b)).includes('while the disk is full'), 60_000);
    // The same link: it came again without a new session (before, only a new link sent it).
    expect(a.node.session(b.node.deviceId)).toBe(link);
    await waitFor("A has B's receipt", async () =>
      (await a.messenger.list()).some(
        (m) => m.text === 'while the disk is full' && m.delivered.includes(b.node.deviceId),
      ),
    );
    expect((await texts(b)).filter((t) => t === 'while the disk is full')).toHaveLength(1);
  }, 120_000);

  it('a group item stored but not applied (the disk filled in between) is applied when it comes again', async () => {
    const { id } = await a.conversations.create({
      topic: 'disk',
      pattern: 'discussion',
      method: 'all-acknowledged',
      members: [a.node.userId, b.node.userId],
    });
    await waitFor('B has the group', async () => (await b.conversations.list()).some((c) => c.id === id));

    // The message row is stored, then the conversation service's write fails for want of space.
    const handler = b.messenger.conversationHandler as ConversationItemHandler;
    let failures = 0;
    b.messenger.conversationHandler = async (kind, bytes, from) => {
      if (kind === 'event' && failures === 0) {
        failures++;
        throw diskFullError();
      }
      return handler(kind, bytes, from);
    };
    const link = a.node.session(b.node.deviceId);
    const post = await a.conversations.post(id, 'posted while the disk filled');
    const posted = async () => (await b.conversations.show(id)).timeline.some((e) => e.id === post.id);
    await waitFor('B applies the post', posted, 60_000);
    expect(failures).toBe(1);
    expect(a.node.session(b.node.deviceId)).toBe(link);
    b.messenger.conversationHandler = handler;
  }, 120_000);
});
