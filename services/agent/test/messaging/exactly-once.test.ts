/**
 * Exactly-once delivery under injected duplicates and reordering (issue "Network agent II"):
 * two real nodes in this process (real links on loopback, real PGlite); the items A made for B
 * are then replayed into B out of order and several times over.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toHex } from '@kith/core/crypto/index';
import { sealChatMessage } from '@kith/core/messaging/chat-message';
import { directConversationId } from '@kith/core/messaging/direct-conversation';
import { sealEpochKey } from '@kith/core/messaging/epoch-key';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '@kith/db/schema';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { pairInProcess, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import type { RunningNode } from '../../src/node.ts';
import type { PeerSession } from '../../src/peer/peer-session.ts';

describe('exactly once', () => {
  let a: RunningNode;
  let b: RunningNode;

  beforeAll(async () => {
    const dir = await makeTempDir('kith-once-');
    [a, b] = await Promise.all([
      startInProcessNode(join(dir, 'a'), '127.0.0.2'),
      startInProcessNode(join(dir, 'b'), '127.0.0.3'),
    ]);
    await pairInProcess(a, b);
    await waitFor('linked', async () => b.node.session(a.node.deviceId) !== undefined);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.shutdown(), b?.shutdown()]);
  }, 60_000);

  it('each message is seen once whatever arrives twice or early', async () => {
    const texts = ['one', 'two', 'three'];
    for (const t of texts) await a.messenger.sendText({ to: b.node.userId }, t);
    await waitFor('B has all three', async () => (await b.messenger.list()).length === 3);
    // What A made for B: the epoch-key envelope and the three messages, as they went on the wire.
    const db = a.node.options.components.db.db;
    const made = await a.messenger.list();
    expect(made).toHaveLength(3);
    const msgRows = await db.select().from(messages);
    const session = b.node.session(a.node.deviceId) as PeerSession;
    const deliver = (kind: 'message' | 'epoch-key', item: Uint8Array, hops = 0) =>
      b.messenger.onDeliver(session, {
        v: 1,
        t: 'deliver',
        kind,
        item,
        to: [b.node.deviceId],
        origin: a.node.deviceId,
        hops,
      });
    // Reordered and duplicated: messages newest first, each three times, interleaved.
    for (let round = 0; round < 3; round++) {
      for (const row of [...msgRows].reverse()) await deliver('message', row.item, round);
    }
    const listed = await b.messenger.list();
    expect(listed.map((m) => m.text).sort()).toEqual([...texts].sort());
    expect(new Set(listed.map((m) => m.id)).size).toBe(3);
    expect(listed.map((m) => m.id).sort()).toEqual(msgRows.map((r) => toHex(r.id)).sort());
  }, 60_000);

  it('a message that arrives before its epoch key is read once the key comes, once', async () => {
    // A fresh epoch made with A's device keys, exactly as A's messenger would, then delivered
    // to B key-last and everything twice.
    const conv = directConversationId(a.node.userId, b.node.userId);
    const epoch = { conv, epoch: new Uint8Array(randomBytes(16)), key: new Uint8Array(randomBytes(32)) };
    const signing = a.node.options.device.keys.signing;
    const random = (n: number) => new Uint8Array(randomBytes(n));
    const bStatic = (await a.node.identity.device(b.node.deviceId))!.staticPublicKey;
    const envelope = await sealEpochKey(epoch, [bStatic], signing, Date.now(), random);
    const late = ['late one', 'late two'].map((text) =>
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
    for (const item of [...late, ...late]) await deliver('message', item);
    const before = (await b.messenger.list()).map((m) => m.text);
    expect(before).not.toContain('late one');
    await deliver('epoch-key', envelope);
    await deliver('epoch-key', envelope);
    const after = (await b.messenger.list()).map((m) => m.text);
    expect(after.filter((t) => t === 'late one')).toHaveLength(1);
    expect(after.filter((t) => t === 'late two')).toHaveLength(1);
  }, 60_000);
});
