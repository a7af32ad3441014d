/**
 * Group commit and batched receipts (ARCHITECTURE "Messaging performance"): two real nodes in
 * this process (real links on loopback, real PGlite). Items delivered in one turn of the event
 * loop land in one batch, duplicates included, and are still stored and announced once; a v2
 * receipt marks every item it lists, and only the target itself ends an outbox row.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toHex } from '@kith/core/crypto/index';
import { sealChatMessage } from '@kith/core/messaging/chat-message';
import { directConversationId } from '@kith/core/messaging/direct-conversation';
import { sealEpochKey } from '@kith/core/messaging/epoch-key';
import { itemId } from '@kith/core/messaging/item-id';
import { signReceiptBatch } from '@kith/core/messaging/receipt';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages, outbox, receipts } from '@kith/db/schema';
import { ClusterDatabases, waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir, testDatabaseKinds } from '../../../../test/helpers/database.ts';
import { pairInProcess, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import type { AgentEvent } from '../../src/event-bus.ts';
import type { RunningNode } from '../../src/node.ts';
import type { PeerSession } from '../../src/peer/peer-session.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));

// Both drivers: the messenger's hot statements are built by hand (message-sql.ts).
describe.each(testDatabaseKinds())('group commit and batched receipts on %s', (kind) => {
  const databases = new ClusterDatabases(kind);
  let a: RunningNode;
  let b: RunningNode;

  beforeAll(async () => {
    const dir = await makeTempDir('kith-batching-');
    const urls = [await databases.urlFor('kith_batching'), await databases.urlFor('kith_batching')];
    [a, b] = await Promise.all([
      startInProcessNode(join(dir, 'a'), '127.0.0.2', { databaseUrl: urls[0] }),
      startInProcessNode(join(dir, 'b'), '127.0.0.3', { databaseUrl: urls[1] }),
    ]);
    await pairInProcess(a, b);
    await waitFor('linked', async () => b.node.session(a.node.deviceId) !== undefined);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.shutdown(), b?.shutdown()]);
    await databases.dispose();
  }, 60_000);

  const received = (node: RunningNode) => {
    const ids: string[] = [];
    const stop = node.node.options.events.subscribe((e: AgentEvent) => {
      if (e.type === 'message.received') ids.push(String(e.data.id));
    });
    return { ids, stop };
  };

  it('a burst of sends arrives once each, and every one is marked delivered', async () => {
    const texts = Array.from({ length: 40 }, (_, i) => `burst ${i}`);
    const sent = await Promise.all(texts.map((t) => a.messenger.sendText({ to: b.node.userId }, t)));
    await waitFor('B has the burst', async () => (await b.messenger.list()).length >= texts.length);
    await waitFor('A saw every item delivered', async () => (await a.messenger.pending()) === 0);
    const mine = await a.messenger.list();
    for (const s of sent) {
      expect(mine.find((m) => m.id === s.id)?.delivered).toEqual([b.node.deviceId]);
    }
    const theirs = (await b.messenger.list()).filter((m) => m.text.startsWith('burst '));
    expect(theirs.map((m) => m.text).sort()).toEqual([...texts].sort());
  }, 60_000);

  it('duplicates in one batch are stored and announced once, a key in the same batch reads them', async () => {
    // A fresh epoch of A's, sealed as A's messenger would; everything goes to B in one turn of
    // the event loop, so one group commit takes messages, their duplicates and then the key.
    const conv = directConversationId(a.node.userId, b.node.userId);
    const epoch = { conv, epoch: random(16), key: random(32) };
    const signing = a.node.options.device.keys.signing;
    const bStatic = (await a.node.identity.device(b.node.deviceId))!.staticPublicKey;
    const envelope = await sealEpochKey(epoch, [bStatic], signing, Date.now(), random);
    const texts = ['batch one', 'batch two', 'batch three'];
    const items = texts.map((text) =>
      sealChatMessage(
        {
          conv,
          epoch: epoch.epoch,
          epochKey: epoch.key,
          sender: signing,
          sentAt: Date.now(),
          body: { t: 'text', text },
        },
        random,
      ),
    );
    const session = b.node.session(a.node.deviceId) as PeerSession;
    const deliver = (kind: 'message' | 'epoch-key', item: Uint8Array) =>
      b.messenger.onDeliver(session, {
        v: 1,
        t: 'deliver',
        kind,
        item,
        to: [b.node.deviceId],
        origin: a.node.deviceId,
        hops: 0,
      });
    const seen = received(b);
    try {
      const all = [...items, ...[...items].reverse(), ...items].map((item) => deliver('message', item));
      all.push(deliver('epoch-key', envelope), deliver('epoch-key', envelope));
      await Promise.all(all);
      // And once more, each in a batch of its own.
      for (const item of items) await deliver('message', item);
    } finally {
      seen.stop();
    }
    expect(seen.ids.sort()).toEqual(items.map((i) => toHex(itemId(i))).sort());
    const listed = (await b.messenger.list()).map((m) => m.text);
    for (const t of texts) expect(listed.filter((x) => x === t)).toHaveLength(1);
    const db = b.node.options.components.db.db;
    for (const item of items) {
      expect(
        await db
          .select({ id: messages.id })
          .from(messages)
          .where(eq(messages.id, itemId(item))),
      ).toHaveLength(1);
    }
  }, 60_000);

  it('a v2 receipt marks every item it lists; only the target itself ends the outbox rows', async () => {
    const db = a.node.options.components.db.db;
    // Outbox rows for items A made for B that B has not confirmed (made here, never sent).
    const ids = Array.from({ length: 5 }, () => random(16));
    await db.insert(outbox).values(
      ids.map((id) => ({
        itemId: id,
        targetDevice: b.node.deviceId,
        kind: 'message',
        item: null,
        createdAt: new Date(),
      })),
    );
    const session = a.node.session(b.node.deviceId) as PeerSession;
    const deliverReceipt = (bytes: Uint8Array) =>
      a.messenger.onDeliver(session, {
        v: 1,
        t: 'deliver',
        kind: 'receipt',
        item: bytes,
        to: [a.node.deviceId],
        origin: b.node.deviceId,
        hops: 0,
      });
    const listed = ids.slice(0, 4);
    // Signed by A's own device, not the target: the rows stay…
    await deliverReceipt(
      signReceiptBatch(
        { items: listed, target: b.node.deviceId, state: 'delivered', at: Date.now() },
        a.node.options.device.keys.signing,
      ),
    );
    const rowsFor = async (id: Uint8Array) =>
      db
        .select()
        .from(outbox)
        .where(and(eq(outbox.itemId, id), eq(outbox.targetDevice, b.node.deviceId)));
    for (const id of ids) expect(await rowsFor(id)).toHaveLength(1);
    const receiptsFor = async (id: Uint8Array) =>
      db
        .select()
        .from(receipts)
        .where(and(eq(receipts.itemId, id), eq(receipts.device, b.node.deviceId)));
    // …and the claim is not stored: the API shows no "delivered" that B did not sign.
    for (const id of listed) expect(await receiptsFor(id)).toEqual([]);
    // Signed by B: every listed item is delivered, the one not listed is still owed.
    await deliverReceipt(
      signReceiptBatch(
        { items: listed, target: b.node.deviceId, state: 'delivered', at: Date.now() },
        b.node.options.device.keys.signing,
      ),
    );
    for (const id of listed) {
      expect(await rowsFor(id)).toHaveLength(0);
      expect((await receiptsFor(id)).map((x) => x.state)).toEqual(['delivered']);
    }
    expect(await rowsFor(ids[4]!)).toHaveLength(1);
    await db.delete(outbox).where(eq(outbox.itemId, ids[4]!));
  }, 60_000);
});
