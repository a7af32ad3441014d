/**
 * History segments (issue #5; docs/ARCHITECTURE.md "Archiving conversations", "Lists a device
 * cannot open"): a device that lacks a conversation's old messages (a device recovered from the
 * phrase) moves the conversation to history again; the old segment stays listed beside the new
 * one, and `get` by conversation opens both. Three real nodes in this process (A's phone X and
 * appliance Y from one phrase, friend B), real links on loopback, real PGlite. Plus the merge
 * rule itself, and a v1 entry (start unknown) that is never dropped for another blob.
 */
import { directConversationId } from '@kith/core/messaging/direct-conversation';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '@kith/db/schema';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { startPhoneApplianceAndFriend } from '../../../../test/helpers/in-process-node.ts';
import { type ListedHistory, mergeHistory } from '../../src/archive/archivist.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';

const DAY = 86_400_000;

function start(dir: string, host: string): Promise<RunningNode> {
  return runNode({
    flags: { data: dir, host, peerPort: '0', apiPort: '0', heartbeatMeanMs: '300', logLevel: 'silent' },
    env: { KITH_PORT_WINDOWS: 'off' },
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
    // No timers: the test runs each repair and archive pass itself.
    archive: { scheduler: () => () => {}, graceMs: 3_600_000 },
    archivist: { scheduler: () => () => {}, debounceMs: 0, historyAfterMs: 30 * DAY },
  });
}

const seg = (blob: string, from: number | null, closedAt: number, messages: number): ListedHistory => ({
  topic: 'a'.repeat(64),
  blob: blob.repeat(64),
  from,
  closedAt,
  messages,
});

describe('history segments: merge rule', () => {
  it('keeps every segment no other covers; a covered one goes; a v1 entry stays beside any other blob', () => {
    const old = seg('1', 100, 200, 10);
    const later = seg('2', 300, 400, 2); // a recovered device's new texts only
    const whole = seg('3', 100, 400, 12); // all of it: covers both
    const sorted = (m: Map<string, ListedHistory>) => [...m.keys()].sort();
    expect(sorted(mergeHistory([old], [later]))).toEqual([old.blob, later.blob]);
    expect(sorted(mergeHistory([old, later], [whole]))).toEqual([whole.blob]);
    // Order does not matter (every device converges on the same set).
    expect(sorted(mergeHistory([whole], [later, old]))).toEqual([whole.blob]);
    // Same range: the fuller one covers the other; a later start with more messages does not.
    expect(sorted(mergeHistory([old], [seg('4', 100, 200, 9)]))).toEqual([old.blob]);
    expect(sorted(mergeHistory([old], [seg('4', 150, 200, 11)]))).toEqual([old.blob, '4'.repeat(64)].sort());
    // Two that cover each other: the larger blob id stays.
    expect(sorted(mergeHistory([seg('5', 1, 2, 3)], [seg('6', 1, 2, 3)]))).toEqual(['6'.repeat(64)]);
    // v1 (start unknown): only its own blob replaces it; the same blob with a known start wins.
    const v1 = seg('7', null, 200, 10);
    expect(sorted(mergeHistory([v1], [whole]))).toEqual([whole.blob, v1.blob].sort());
    expect(mergeHistory([v1], [{ ...v1, from: 100 }]).get(v1.blob)?.from).toBe(100);
    // A state written before segments (no `from`) reads as a v1 entry.
    const { from: _from, ...noFrom } = v1;
    expect(mergeHistory([noFrom as ListedHistory]).get(v1.blob)?.from).toBeNull();
  });
});

describe('history segments: a device without the old messages moves the conversation again', () => {
  let phone: RunningNode;
  let appliance: RunningNode;
  let friend: RunningNode;
  let direct: string;

  beforeAll(async () => {
    const dir = await makeTempDir('kith-segments-');
    ({ phone, appliance, friend } = await startPhoneApplianceAndFriend({
      dir,
      hosts: ['127.0.0.61', '127.0.0.62', '127.0.0.63'],
      start,
    }));
    direct = directConversationId(phone.node.userId, friend.node.userId);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([phone?.shutdown(), appliance?.shutdown(), friend?.shutdown()]);
  }, 60_000);

  it('the old segment stays listed beside the new one, and get by conversation returns all messages', async () => {
    await phone.messenger.sendText({ to: friend.node.userId }, 'old one');
    await friend.messenger.sendText({ to: phone.node.userId }, 'old two');
    await waitFor('the phone has B’s reply', async () => (await phone.messenger.list(direct)).length === 2);
    phone.archivist.options.historyAfterMs = 0;
    expect(await phone.archivist.sync()).toMatchObject({ movedToHistory: 1, failed: [] });
    const [old] = await phone.archivist.history();
    expect(old).toMatchObject({ conversation: direct, messages: 2 });

    // The phone now lacks the old messages (as a device recovered from the phrase does) and
    // goes on talking in the same conversation.
    await phone.node.options.components.db.db.delete(messages).where(eq(messages.conversationId, direct));
    await phone.messenger.sendText({ to: friend.node.userId }, 'new one');
    expect((await phone.messenger.list(direct)).map((m) => m.text)).toEqual(['new one']);
    const report = await phone.archivist.sync();
    expect(report).toMatchObject({ movedToHistory: 1, failed: [] });
    expect(report.historyIndex).toMatchObject({ entries: 2 });

    // Both segments are listed, on this device and in the index the other own device reads.
    const listed = await phone.archivist.history();
    expect(listed.filter((h) => h.conversation === direct).map((h) => h.messages)).toEqual([1, 2]);
    expect(listed.map((h) => h.id)).toContain(old!.id);
    const onAppliance = await appliance.archivist.history();
    expect(onAppliance.map((h) => h.id).sort()).toEqual(listed.map((h) => h.id).sort());

    // Y holds both blobs (it answers share requests for what it holds).
    await waitFor('the appliance holds both segments', async () => {
      await phone.archive.repair();
      return (await phone.archive.status()).underReplicated === 0;
    });
    const all = await phone.archivist.get(direct);
    expect(all).toMatchObject({ archive: 'history', conversation: direct, kind: 'direct' });
    expect(all.messages.map((m) => m.text)).toEqual(['old one', 'old two', 'new one']);
    expect(all.id).toBe(listed[0]!.id);
    // A blob id opens that one segment only.
    expect((await phone.archivist.get(old!.id)).messages.map((m) => m.text)).toEqual(['old one', 'old two']);

    // Nothing changed: no segment is sealed again and both stay.
    expect(await phone.archivist.sync()).toMatchObject({ movedToHistory: 0, built: 0 });
    expect(await phone.archivist.history()).toHaveLength(2);

    // The local API joins the segments the same way.
    const headers = { authorization: `Bearer ${phone.agent.apiToken}` };
    const item = await phone.agent.api.inject({
      method: 'GET',
      url: `/api/archive/items/${direct}`,
      headers,
    });
    expect((item.json() as { messages: { text: string }[] }).messages.map((m) => m.text)).toEqual([
      'old one',
      'old two',
      'new one',
    ]);
  }, 90_000);

  it('a v1 entry handed in (start unknown) stays in the v2 index the next pass writes', async () => {
    const headers = { authorization: `Bearer ${phone.agent.apiToken}` };
    const v1 = { topic: 'c'.repeat(64), blob: 'd'.repeat(64), closedAt: 1_000, messages: 4 };
    const adopted = await phone.agent.api.inject({
      method: 'POST',
      url: '/api/archive/indexes/conversations/adopt',
      headers,
      payload: { version: 1, entries: [v1, { ...v1, blob: 'e'.repeat(64), from: 500 }] },
    });
    expect(adopted.statusCode, adopted.body).toBe(200);
    expect(await phone.archivist.sync()).toMatchObject({ historyIndex: { entries: 4 } });
    // Read back from the index by the other own device: both kept, the v1 one without a start.
    const ids = (await appliance.archivist.history()).map((h) => h.id);
    expect(ids).toEqual(expect.arrayContaining(['d'.repeat(64), 'e'.repeat(64)]));
    expect(ids).toHaveLength(4);
  }, 60_000);
});
