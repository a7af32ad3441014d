/**
 * The archivist (docs/DESIGN.md §5, §7; docs/ARCHITECTURE.md "Archive encryption and retrieval") with
 * three real nodes in this process: A's phone (X) and A's appliance (Y), two devices from one
 * phrase, and A's friend B. Real links on loopback, real PGlite; every pass and repair is run by
 * the test. Covers: current (2-of-2 with the friend's share), change detection, the move to
 * history by age, retrieval with the other own device's share, the phrase path, and what one
 * node's key material and database reveal (nothing of history; a relay holds no plaintext).
 */
import { randomBytes } from 'node:crypto';
import {
  ARCHIVE_ENVELOPE_KIND,
  openActiveList,
  openTranscript,
  topicHash,
} from '@kith/core/archive/archive-seal';
import { verifyEnvelope } from '@kith/core/envelope';
import { toHex } from '@kith/core/crypto/index';
import { contentId } from '@kith/archive';
import { isKithError } from '@kith/core/errors';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { phraseToSeed } from '@kith/core/identity/phrase';
import { directConversationId } from '@kith/core/messaging/direct-conversation';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '@kith/db/migrate';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { startPhoneApplianceAndFriend } from '../../../../test/helpers/in-process-node.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));
const DAY = 86_400_000;

function start(dir: string, host: string): Promise<RunningNode> {
  return runNode({
    flags: { data: dir, host, peerPort: '0', apiPort: '0', heartbeatMeanMs: '2000', logLevel: 'silent' },
    env: { KITH_PORT_WINDOWS: 'off' },
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
    // No timers: the test runs each repair and archive pass itself.
    archive: { scheduler: () => () => {}, graceMs: 3_600_000 },
    archivist: { scheduler: () => () => {}, debounceMs: 0, historyAfterMs: 30 * DAY },
  });
}

/** Every row of every table as text (bytea as hex): what a dump of the database shows. */
async function dumpText(node: RunningNode): Promise<string> {
  const db = node.node.options.components.db.db;
  const tables = rowsOf<{ table_name: string }>(
    await db.execute(
      sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
    ),
  );
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = rowsOf<{ row: string }>(
      await db.execute(sql.raw(`select t::text as row from "${table_name}" t`)),
    );
    for (const r of rows) parts.push(r.row);
  }
  return parts.join('\n');
}

describe('archivist', () => {
  let phrase: string;
  let phone: RunningNode;
  let appliance: RunningNode;
  let friend: RunningNode;
  let direct: string;
  let notes: string;
  const secretText = `a note only A may read ${toHex(random(8))}`;

  beforeAll(async () => {
    const dir = await makeTempDir('kith-archivist-');
    ({ phrase, phone, appliance, friend } = await startPhoneApplianceAndFriend({
      dir,
      hosts: ['127.0.0.8', '127.0.0.9', '127.0.0.10'],
      start,
    }));
    direct = directConversationId(phone.node.userId, friend.node.userId);
    notes = directConversationId(phone.node.userId, phone.node.userId);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([phone?.shutdown(), appliance?.shutdown(), friend?.shutdown()]);
  }, 120_000);

  it('seals each conversation as current, held by the friend; opens it with the friend’s re-wrapped share', async () => {
    await phone.messenger.sendText({ to: friend.node.userId }, 'hello B');
    await friend.messenger.sendText({ to: phone.node.userId }, 'hello A');
    await phone.messenger.sendText({ to: phone.node.userId }, secretText);
    await waitFor('the phone has B’s reply', async () => (await phone.messenger.list(direct)).length === 2);

    const report = await phone.archivist.sync();
    expect(report).toMatchObject({ conversations: 2, sealedCurrent: 2, movedToHistory: 0, failed: [] });
    expect(report.activeList).toMatchObject({ entries: 2 });
    // The friend holds the current blobs (its device is in the holder group), and the friend
    // bundle, which goes to every own and friend device (friend-bundle-source.ts).
    await waitFor('friend holds both and the friend bundle', async () => {
      await phone.archive.repair();
      const s = await phone.archive.status();
      return (
        s.underReplicated === 0 && s.holders.find((h) => h.deviceId === friend.node.deviceId)?.held === 3
      );
    });

    expect((await phone.archivist.current()).map((c) => c.conversation).sort()).toEqual(
      [direct, notes].sort(),
    );
    const opened = await phone.archivist.get(direct);
    expect(opened).toMatchObject({ archive: 'current', conversation: direct, kind: 'direct' });
    expect(opened.messages.map((m) => m.text)).toEqual(['hello B', 'hello A']);
    expect(opened.topic).toBe(toHex(topicHash(direct)));

    // Nothing changed: nothing is rebuilt or sealed again.
    expect(await phone.archivist.sync()).toMatchObject({ built: 0, sealedCurrent: 0, unchanged: 2 });
    await phone.messenger.sendText({ to: friend.node.userId }, 'one more');
    expect(await phone.archivist.sync()).toMatchObject({ built: 1, sealedCurrent: 1, unchanged: 1 });
    expect((await phone.archivist.get(direct)).messages).toHaveLength(3);
  }, 60_000);

  it('alone, a current blob and one device key open nothing (2-of-2)', async () => {
    const { blob } = await phone.archivist.resolve(direct);
    const bytes = (await phone.archivist.ciphertext(blob)).ciphertext;
    for (const key of [phone.node.options.device.keys.agreement, friend.node.options.device.keys.agreement]) {
      const err = await openTranscript(bytes, { keys: [key] }).catch((e: unknown) => e);
      expect(isKithError(err, 'ENVELOPE_TOO_FEW_SHARES')).toBe(true);
    }
    // The phrase path for a current item: an owner device key derived from the phrase plus the
    // holder's share, which the agent hands over re-wrapped (GET /api/archive/blobs/:id).
    const withShare = await phone.archivist.ciphertextWithShare(direct);
    expect(withShare.share).toBeDefined();
    const seed = phraseToSeed(phrase);
    const opened = await openTranscript(withShare.ciphertext, {
      keys: [deriveRootKeys(seed).recovery, deriveDeviceKeys(seed, 1).agreement],
      shares: [withShare.share!],
    });
    expect(opened.transcript.messages.map((m) => m.text)).toEqual(['hello B', 'hello A', 'one more']);
  });

  it('past the history age, conversations move to history (2-of-3) and leave the active list', async () => {
    phone.archivist.options.historyAfterMs = 0;
    const report = await phone.archivist.sync();
    expect(report).toMatchObject({ movedToHistory: 2, sealedCurrent: 0, failed: [] });
    expect(report.historyIndex).toMatchObject({ entries: 2 });
    expect(report.activeList).toMatchObject({ entries: 0 });
    const history = await phone.archivist.history();
    expect(history.map((h) => h.conversation).sort()).toEqual([direct, notes].sort());
    expect(history.find((h) => h.conversation === direct)?.messages).toBe(3);
    // History blobs go to the own appliance first.
    await waitFor('the appliance holds history', async () => {
      await phone.archive.repair();
      return (await phone.archive.status()).underReplicated === 0;
    });
    // X (the phone) opens with its own share plus the appliance's (Y) re-wrapped one.
    const item = history.find((h) => h.conversation === direct)!;
    const opened = await phone.archivist.get(item.id);
    expect(opened).toMatchObject({ archive: 'history', conversation: direct });
    expect(opened.messages.map((m) => m.text)).toEqual(['hello B', 'hello A', 'one more']);
    expect(await phone.archivist.sync()).toMatchObject({ built: 0, movedToHistory: 0, unchanged: 2 });
  }, 60_000);

  it('the appliance (Y) lists and opens the history too', async () => {
    const history = await appliance.archivist.history();
    expect(history).toHaveLength(2);
    const item = history.find((h) => h.messages === 1)!;
    const opened = await appliance.archivist.get(item.id);
    expect(opened.messages.map((m) => m.text)).toEqual([secretText]);
  }, 60_000);

  it('one node’s key material and database dump open zero archived items', async () => {
    for (const node of [phone, appliance, friend]) {
      const db = node.node.options.components.db.db;
      // Every current and history transcript of A's this node holds (the lists and the friend
      // bundle are t=1 by design: one own device already knows what they hold).
      const blobs = rowsOf<{ kind: string; ciphertext: Uint8Array }>(
        await db.execute(
          sql`select kind, ciphertext from archive_blobs where kind in ('current', 'history') and owner_id = ${phone.node.userId}`,
        ),
      ).filter((b) => verifyEnvelope(new Uint8Array(b.ciphertext)).kind !== ARCHIVE_ENVELOPE_KIND.friends);
      const history = blobs.filter((b) => b.kind === 'history').length;
      if (node !== friend) expect(history).toBe(2);
      else expect(blobs.length).toBeGreaterThan(0);
      const keys = [node.node.options.device.keys.agreement];
      for (const b of blobs) {
        const err = await openTranscript(new Uint8Array(b.ciphertext), { keys }).catch((e: unknown) => e);
        expect(isKithError(err) && ['ENVELOPE_TOO_FEW_SHARES', 'ENVELOPE_WRONG_KEY'].includes(err.code)).toBe(
          true,
        );
      }
    }
  });

  it('the recovery phrase opens every history item (the fallback when X or Y is lost)', async () => {
    const seed = phraseToSeed(phrase);
    const keys = [deriveRootKeys(seed).recovery, deriveDeviceKeys(seed, 1).agreement];
    for (const item of await appliance.archivist.history()) {
      const { ciphertext } = await appliance.archivist.ciphertext(item.id);
      const opened = await openTranscript(ciphertext, { keys });
      expect(opened.kind).toBe('history');
      expect(opened.transcript.messages).toHaveLength(item.messages);
    }
  });

  it('no database holds plaintext: a relay’s dump shows nothing of what it keeps, and every byte at rest is sealed', async () => {
    for (const node of [friend, phone, appliance]) {
      const text = await dumpText(node);
      // The dump is real: public metadata (user ids) is there in clear.
      expect(text).toContain(phone.node.userId);
      for (const plain of [secretText, 'hello B', 'hello A', 'one more']) {
        expect(text).not.toContain(plain);
        expect(text).not.toContain(Buffer.from(plain).toString('hex'));
      }
    }
    // The relay never learns which conversations it holds.
    expect(await dumpText(friend)).not.toContain(notes);
  });

  it('a closed group conversation moves to history with its texts and signed events', async () => {
    const { id } = await phone.conversations.create({
      topic: 'Which film?',
      pattern: 'proposal',
      method: 'schulze',
      options: ['alien', 'brazil'],
      members: [phone.node.userId],
    });
    await phone.conversations.post(id, 'I have seen alien twice.');
    await phone.conversations.vote(id, { rank: ['brazil', 'alien'] });
    expect((await phone.conversations.recordOutcome(id)).recorded).toBe(true);
    const report = await phone.archivist.sync();
    expect(report).toMatchObject({ movedToHistory: 1, unchanged: 2, failed: [] });
    expect(report.historyIndex).toMatchObject({ entries: 3 });
    await waitFor('the appliance (Y) holds it', async () => {
      await phone.archive.repair();
      return (await phone.archive.status()).underReplicated === 0;
    });
    const opened = await phone.archivist.get(id);
    expect(opened).toMatchObject({
      archive: 'history',
      kind: 'group',
      title: 'Which film?',
      conversation: id,
    });
    expect(opened.closedAt).not.toBeNull();
    expect(opened.messages.map((m) => m.text)).toEqual(['I have seen alien twice.']);
    // genesis, the post, the vote and the accepted outcome
    expect(opened.events).toBe(4);
  }, 60_000);

  it('the local API: sync, history, items, blobs; bad ids get a clear error code', async () => {
    const { agent } = phone;
    const headers = { authorization: `Bearer ${agent.apiToken}` };
    const sync = await agent.api.inject({ method: 'POST', url: '/api/archive/sync', headers, payload: {} });
    expect(sync.statusCode).toBe(200);
    expect(sync.json()).toMatchObject({ conversations: 3, built: 0, failed: [] });
    const history = await agent.api.inject({ method: 'GET', url: '/api/archive/history', headers });
    const items = history.json() as { id: string; conversation: string | null }[];
    const conversations = items.map((i) => i.conversation);
    // The third is the group's id, random hex: compared by membership, not by a sort it may upset.
    expect(conversations).toHaveLength(3);
    expect(conversations).toEqual(expect.arrayContaining([direct, notes]));
    const item = await agent.api.inject({ method: 'GET', url: `/api/archive/items/${direct}`, headers });
    expect(item.json()).toMatchObject({ conversation: direct, archive: 'history' });
    const blob = await agent.api.inject({
      method: 'GET',
      url: `/api/archive/blobs/${items[0]!.id}`,
      headers,
    });
    const bytes = new Uint8Array(Buffer.from((blob.json() as { ciphertext: string }).ciphertext, 'base64'));
    expect(toHex(contentId(bytes))).toBe(items[0]!.id);
    // The active list with the holder's share: the phrase's keys open it (empty now: all moved).
    const active = await agent.api.inject({ method: 'GET', url: '/api/archive/indexes/active', headers });
    const list = active.json() as { ciphertext: string; share?: string; version: number };
    expect(list.share).toBeDefined();
    const seed = phraseToSeed(phrase);
    const opened = await openActiveList(new Uint8Array(Buffer.from(list.ciphertext, 'base64')), {
      keys: [deriveDeviceKeys(seed, 0).agreement],
      shares: [new Uint8Array(Buffer.from(list.share!, 'base64'))],
    });
    expect(opened.entries).toEqual([]);
    expect((await agent.api.inject({ method: 'GET', url: '/api/archive/current', headers })).json()).toEqual(
      [],
    );
    const unknown = await agent.api.inject({
      method: 'GET',
      url: `/api/archive/items/${'0'.repeat(64)}`,
      headers,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'ARCHIVE_NOT_FOUND' } });
    const bad = await agent.api.inject({ method: 'GET', url: '/api/archive/items/no%20such', headers });
    expect(bad.statusCode).toBe(400);
  }, 60_000);
  it('an adoption while a pass runs is kept (the pass does not write its older state over it)', async () => {
    const entry = {
      topic: toHex(random(32)),
      blob: toHex(random(32)),
      from: null,
      closedAt: Date.now() - DAY,
      messages: 3,
    };
    const pass = phone.archivist.sync();
    await phone.archivist.adopt('conversations', 1, [entry]);
    await pass;
    expect((await phone.archivist.history()).map((h) => h.id)).toContain(entry.blob);
  });
});
