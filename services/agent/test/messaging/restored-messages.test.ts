/**
 * Conversations restored from the archive after a recovery (messaging/restored-messages.ts): kept
 * sealed under the storage key (no text at rest), shown by the message list merged by time, kept
 * once per message id, and counted by the archivist's summaries so its next pass seals them again.
 * One real agent in this process on real PGlite.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { secrets } from '@kith/db/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import type { RunningNode } from '../../src/node.ts';

const hex = () => Buffer.from(randomBytes(32)).toString('hex');

describe('restored messages', () => {
  let a: RunningNode;

  beforeAll(async () => {
    const dir = await makeTempDir('kith-restored-');
    a = await startInProcessNode(join(dir, 'a'), '127.0.0.157', { heartbeatMeanMs: 2000 });
  }, 120_000);

  afterAll(async () => {
    await a?.shutdown();
  });

  it('keeps them sealed, lists them by time, once per id, and the archivist counts them', async () => {
    const me = a.node.userId;
    const conversation = 'restored-conversation-1';
    const first = { id: hex(), from: me, device: a.node.deviceId, sentAt: 1_000, text: 'the first words' };
    const second = { id: hex(), from: me, device: a.node.deviceId, sentAt: 2_000, text: 'and the second' };
    const base = { conversation, kind: 'direct' as const, title: 'x', members: [me] };
    expect(await a.messenger.restored.restore({ ...base, messages: [second] })).toMatchObject({ added: 1 });
    expect(await a.messenger.restored.restore({ ...base, messages: [first, second] })).toMatchObject({
      added: 1,
      messages: 2,
    });
    // A message this device holds as an item is not kept a second time.
    const sent = await a.messenger.sendText({ to: me }, 'after the recovery');
    const held = (await a.messenger.list()).find((m) => m.text === 'after the recovery')!;
    expect(sent).toBeTruthy();
    expect(
      await a.messenger.restored.restore({
        ...base,
        conversation: held.conversation,
        messages: [
          {
            id: held.id,
            from: me,
            device: a.node.deviceId,
            sentAt: Date.parse(held.sentAt),
            text: held.text,
          },
        ],
      }),
    ).toMatchObject({ added: 0 });

    const listed = await a.messenger.list();
    expect(listed.map((m) => m.text)).toEqual(['the first words', 'and the second', 'after the recovery']);
    expect((await a.messenger.list(conversation)).map((m) => m.text)).toEqual([
      'the first words',
      'and the second',
    ]);
    expect(await a.messenger.restoredActivity()).toEqual(new Map([[conversation, { last: 2_000, rows: 2 }]]));

    // At rest: ciphertext only.
    const rows = await a.node.options.components.db.db.select().from(secrets);
    for (const r of rows) expect(Buffer.from(r.ciphertext).includes('the first words')).toBe(false);
    expect(rows.some((r) => r.name === `restored:${conversation}`)).toBe(true);
  }, 120_000);
});
