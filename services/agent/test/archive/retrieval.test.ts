/**
 * Archive retrieval (docs/ARCHITECTURE.md "Archive encryption and retrieval"; PROTOCOL
 * "Archive retrieval"): user A has three devices (A0, A1, A2, one phrase) and a friend B.
 * Real links on loopback, real databases, real sealing; the repair loop never runs by itself.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  openActiveList,
  openHistoryIndex,
  openTranscript,
  sealArchiveIndex,
  sealCurrent,
  sealHistory,
  topicHash,
} from '@kith/core/archive/archive-seal';
import type { Transcript } from '@kith/core/archive/transcript';
import { toHex } from '@kith/core/crypto/index';
import { isKithError } from '@kith/core/errors';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { enrolDevice } from '@kith/core/identity/enrol';
import { createGenesis, verifyLog } from '@kith/core/identity/log';
import { generatePhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { contentId } from '@kith/archive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterDatabases, clusterDatabaseKind, waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { confirmBoth, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import { createKeystore } from '../../src/keystore/index.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));
const archive = { scheduler: () => () => {}, replyTimeoutMs: 10_000, graceMs: 3_600_000 };

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (isKithError(e)) return e.code;
    throw e;
  }
  return undefined;
}

const transcript = (conversation: string, closedAt: number | null): Transcript => ({
  v: 1,
  conversation,
  topic: 'Saturday hike',
  kind: 'direct',
  members: ['a', 'b'],
  closedAt,
  messages: [{ id: 'c0ffee', from: 'a', device: 'a0', sentAt: 1_700_000_000_000, text: 'bring water' }],
});

describe.each(clusterDatabaseKind())('archive retrieval on %s', (kind) => {
  const databases = new ClusterDatabases(kind);
  let phrase: string;
  let recovery: Uint8Array;
  let a0: RunningNode;
  let a1: RunningNode;
  let a2: RunningNode;
  let b: RunningNode;
  let userA: string;
  /** The current blob of the first test: held by A0 and B only. */
  let currentId: Uint8Array;
  const key = (n: RunningNode) => n.node.staticKeyPair;
  const owners = () => [a0, a1, a2].map((n) => key(n).publicKey);
  const signer = (n: RunningNode) => n.node.options.device.keys.signing;

  beforeAll(async () => {
    const dir = await makeTempDir('kith-archive-fetch-');
    phrase = generatePhrase(random);
    const seed = phraseToSeed(phrase);
    const root = deriveRootKeys(seed);
    recovery = root.recovery.publicKey;
    userA = root.userId;
    const keys = [0, 1, 2].map((i) => deriveDeviceKeys(seed, i));
    let log = verifyLog([createGenesis(root)]);
    for (const [i, k] of keys.entries())
      log = enrolDevice(log, root, k, { deviceName: `a${i}`, now: Date.now() });
    const started: RunningNode[] = [];
    for (const [i, k] of keys.entries()) {
      const dataDir = join(dir, `a${i}`);
      await createKeystore({ dataDir, userId: root.userId, device: k, logEntries: log.entries });
      const databaseUrl = await databases.urlFor('kith_fetch');
      started.push(
        await runNode({
          flags: {
            data: dataDir,
            host: `127.0.0.${41 + i}`,
            peerPort: '0',
            apiPort: '0',
            heartbeatMeanMs: '300',
            logLevel: 'silent',
          },
          env: { KITH_PORT_WINDOWS: 'off', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
          handleSignals: false,
          logger: createLogger({ level: 'silent' }),
          archive,
        }),
      );
    }
    [a0, a1, a2] = started as [RunningNode, RunningNode, RunningNode];
    b = await startInProcessNode(join(dir, 'b'), '127.0.0.44', {
      databaseUrl: await databases.urlFor('kith_fetch'),
      archive,
    });
    // The own devices were made offline: tell A1 and A2 where A0 listens; B comes by pairing.
    for (const n of [a1, a2]) {
      await n.node.addresses.offer(a0.node.ownAddressRecord!);
      void n.node.dialDue();
    }
    const invite = await a0.pairing.createInvite({ role: 'friend' });
    await confirmBoth(a0, b, (await b.pairing.acceptFriend(invite.code)).userId);
    const all = [a0, a1, a2, b];
    await waitFor(
      'every device linked to every other',
      async () =>
        all.every((x) => all.every((y) => x === y || x.node.session(y.node.deviceId) !== undefined)),
      60_000,
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a0, a1, a2, b].map((n) => n?.shutdown()));
    await databases.dispose();
  }, 60_000);

  it('a device fetches a current blob from the friend holder with its share re-wrapped, and opens it', async () => {
    const sealed = await sealCurrent({
      transcript: transcript('conv-current', null),
      owners: owners(),
      holders: [key(b).publicKey],
      sender: signer(a0),
      createdAt: Date.now(),
      random,
    });
    const put = await a0.archive.put('current', sealed, { preferHolders: [b.node.deviceId] });
    expect(put.sentTo).toEqual([b.node.deviceId]);
    const id = contentId(sealed);
    await waitFor('B holds it', async () => b.archive.blobs.has(userA, id));
    currentId = id;

    // A2 never had it: it comes from B, with B's holder share sealed to A2.
    const got = await a2.archive.fetchBlob(id, { rewrap: true });
    expect(got.from).toBe(b.node.deviceId);
    expect(got.kind).toBe('current');
    expect(got.share).toBeDefined();
    expect(await codeOf(openTranscript(got.ciphertext, { keys: [key(a2)] }))).toBe('ENVELOPE_TOO_FEW_SHARES');
    const opened = await openTranscript(got.ciphertext, { keys: [key(a2)], shares: [got.share!] });
    expect(opened.transcript.conversation).toBe('conv-current');

    // Without re-wrap the local copy comes first; A1 (no copy) gets the ciphertext alone.
    expect((await a0.archive.fetchBlob(id)).from).toBe(a0.node.deviceId);
    const plain = await a1.archive.fetchBlob(id);
    expect(plain.share).toBeUndefined();
    expect(toHex(plain.ciphertext)).toBe(toHex(sealed));
  });

  it('refuses a device of another user, however it names the owner', async () => {
    const sealed = await sealCurrent({
      transcript: transcript('conv-refused', null),
      owners: owners(),
      holders: [key(b).publicKey],
      sender: signer(a0),
      createdAt: Date.now(),
      random,
    });
    await a0.archive.put('current', sealed);
    const id = contentId(sealed);
    // B is a friend, not an owner device of A: refused by A0 (which holds it).
    expect(
      await codeOf(b.archive.fetcher.request(a0.node.deviceId, { owner: userA, blob: id, rewrap: true })),
    ).toBe('ARCHIVE_NOT_OWNER');
    // Naming itself as the owner only finds B's own items: A's blob is not one.
    expect(
      await codeOf(
        b.archive.fetcher.request(a0.node.deviceId, { owner: b.node.userId, blob: id, rewrap: false }),
      ),
    ).toBe('ARCHIVE_NOT_FOUND');
    expect(
      await codeOf(
        b.archive.fetcher.request(a1.node.deviceId, { owner: userA, index: 'active', rewrap: false }),
      ),
    ).toBe('ARCHIVE_NOT_OWNER');
  });

  it('history: X asks Y for its share; a third device asks both', async () => {
    const sealed = await sealHistory({
      transcript: transcript('conv-history', 1_700_000_100_000),
      archivist: key(a0).publicKey,
      second: key(a1).publicKey,
      recovery,
      sender: signer(a0),
      createdAt: Date.now(),
      random,
    });
    const put = await a0.archive.put({
      kind: 'history',
      ciphertext: sealed,
      preferHolders: [a1.node.deviceId],
    });
    expect(put.sentTo).toEqual([a1.node.deviceId]);
    const id = contentId(sealed);
    await waitFor('A1 holds it', async () => a1.archive.blobs.has(userA, id));

    const fromY = await a0.archive.requestShare(a1.node.deviceId, id);
    expect((await openTranscript(sealed, { keys: [key(a0)], shares: [fromY] })).kind).toBe('history');

    const got = await a2.archive.fetchBlob(id);
    const shares = [
      await a2.archive.requestShare(a0.node.deviceId, id),
      await a2.archive.requestShare(a1.node.deviceId, id),
    ];
    expect(
      await codeOf(openTranscript(got.ciphertext, { keys: [key(a2)], shares: shares.slice(0, 1) })),
    ).toBe('ENVELOPE_TOO_FEW_SHARES');
    expect((await openTranscript(got.ciphertext, { keys: [key(a2)], shares })).transcript.closedAt).toBe(
      1_700_000_100_000,
    );
    // B holds no copy of it (and would hold no share): nothing to hand over.
    expect(await codeOf(a0.archive.requestShare(b.node.deviceId, id))).toBe('ARCHIVE_NOT_FOUND');
    // A2 holds neither a copy nor a share.
    expect(await codeOf(a0.archive.requestShare(a2.node.deviceId, id))).toBe('ARCHIVE_NOT_FOUND');
  });

  it('lists: holders keep the highest version; fetchIndex returns (and adopts) the newest', async () => {
    const seal = (n: number) =>
      sealArchiveIndex({
        name: 'conversations',
        list: {
          v: 1,
          entries: [{ topic: topicHash(`conv-${n}`), blob: random(32), closedAt: n, messages: n }],
        },
        owners: owners(),
        recovery,
        sender: signer(a0),
        createdAt: Date.now(),
        random,
      });
    const c1 = await seal(1);
    const first = await a0.archive.putIndex('conversations', c1);
    expect(first.version).toBe(1);
    const everyoneElse = [a1, a2, b].map((n) => n.node.deviceId).sort();
    expect([...first.heldBy].sort()).toEqual(everyoneElse);

    // A1 continues from the pushed version 1.
    const c2 = await seal(2);
    expect((await a1.archive.putIndex('conversations', c2)).version).toBe(2);
    const newest = await a2.archive.fetchIndex('conversations');
    expect(newest?.version).toBe(2);
    expect(toHex(newest!.ciphertext)).toBe(toHex(c2));
    expect((await openHistoryIndex(newest!.ciphertext, { keys: [key(a2)] })).entries[0]?.messages).toBe(2);

    // A stale push changes nothing on B (messages on one link are handled in order).
    a0.node.session(b.node.deviceId)!.send({
      v: 1,
      t: 'archive-index-put',
      owner: userA,
      name: 'conversations',
      version: 1,
      ciphertext: c1,
    });
    const onB = await a0.archive.fetcher.request(b.node.deviceId, {
      owner: userA,
      index: 'conversations',
      rewrap: false,
    });
    expect(onB.version).toBe(2);
    expect(toHex(onB.ciphertext)).toBe(toHex(c2));

    // A newer version only B has: A1 finds it and adopts it locally.
    const c5 = await seal(5);
    a0.node.session(b.node.deviceId)!.send({
      v: 1,
      t: 'archive-index-put',
      owner: userA,
      name: 'conversations',
      version: 5,
      ciphertext: c5,
    });
    const found = await waitFor('A1 sees version 5', async () => {
      const f = await a1.archive.fetchIndex('conversations');
      return f?.version === 5 ? f : undefined;
    });
    expect(found.from).toBe(b.node.deviceId);
    expect((await a1.archive.fetcher.indexes.get(userA, 'conversations'))?.version).toBe(5);
    expect((await a1.archive.putIndex('conversations', await seal(6))).version).toBe(6);

    // A holder cannot pass its own bytes off as a newer list: only lists signed by A's devices count.
    const forged = await sealArchiveIndex({
      name: 'conversations',
      list: { v: 1, entries: [] },
      owners: owners(),
      recovery,
      sender: signer(b),
      createdAt: Date.now(),
      random,
    });
    await b.archive.fetcher.indexes.storeNewer({
      ownerId: userA,
      name: 'conversations',
      version: 100,
      ciphertext: forged,
    });
    expect((await a2.archive.fetchIndex('conversations'))?.version).toBe(6);

    // The active list is 2-of-2: B's share, re-wrapped, completes A2's.
    const active = {
      v: 1 as const,
      entries: [{ topic: topicHash('conv-current'), blob: random(32), updatedAt: 7 }],
    };
    const sealedActive = await sealArchiveIndex({
      name: 'active',
      list: active,
      owners: owners(),
      holders: [key(b).publicKey],
      sender: signer(a0),
      createdAt: Date.now(),
      random,
    });
    await a0.archive.putIndex('active', sealedActive);
    const got = await a2.archive.fetchIndex('active', { rewrap: true });
    expect(got?.share).toBeDefined();
    expect(await openActiveList(got!.ciphertext, { keys: [key(a2)], shares: [got!.share!] })).toEqual(active);
  });

  it('a revoked device is refused', async () => {
    expect(
      await b.archive.fetcher.refusal({ deviceId: a2.node.deviceId, userId: userA }, userA),
    ).toBeUndefined();
    await a0.node.revokeDevice(a2.node.deviceId, phrase);
    await waitFor('B and A1 know A2 is revoked', async () => {
      const rows = await Promise.all([b, a1].map((n) => n.node.identity.device(a2.node.deviceId)));
      return rows.every((r) => r?.status === 'revoked');
    });
    for (const holder of [a0, a1, b]) {
      expect(await holder.archive.fetcher.refusal({ deviceId: a2.node.deviceId, userId: userA }, userA)).toBe(
        'ARCHIVE_NOT_OWNER',
      );
    }
    await waitFor(
      'links to A2 closed, on both ends',
      async () =>
        [a0, a1, b].every((n) => !n.node.isOnline(a2.node.deviceId)) && a2.node.onlineSessions().length === 0,
    );
    // A2 has no copy of it and every device that has one refuses or is unreachable now.
    expect(await a2.archive.blobs.has(userA, currentId)).toBe(false);
    expect(await codeOf(a2.archive.fetchBlob(currentId, { rewrap: true }))).toBe('ARCHIVE_NOT_FOUND');
  });
});
