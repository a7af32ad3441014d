import { join } from 'node:path';
import { checkStorageReceipt } from '@kith/core/archive/storage-receipt';
import { contentId } from '@kith/archive';
import { fromHex, toHex } from '@kith/core/crypto/index';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterDatabases, waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir, testDatabaseKinds } from '../../../../test/helpers/database.ts';
import type { ArchiveStatus } from '../../src/archive/archive-replicator.ts';
import type { AgentEvent } from '../../src/event-bus.ts';
import type { RunningNode } from '../../src/node.ts';
import { confirmBoth, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import { sealedTestBlob } from '../../../../test/helpers/archive-blob.ts';

const GRACE_MS = 1500;

function makeNode(dir: string, host: string, databaseUrl: string | undefined): Promise<RunningNode> {
  // No timer: the test runs each repair pass itself.
  return startInProcessNode(dir, host, {
    databaseUrl,
    archive: { scheduler: () => () => {}, graceMs: GRACE_MS, replyTimeoutMs: 5000 },
  });
}

/** Runs repair passes until the status satisfies `done`. */
async function repairUntil(node: RunningNode, what: string, done: (s: ArchiveStatus) => boolean) {
  return waitFor(
    what,
    async () => {
      await node.archive.repair();
      const s = await node.archive.status();
      return done(s) ? s : undefined;
    },
    30_000,
    250,
  );
}

const held = (s: ArchiveStatus, deviceId: string) =>
  s.holders.find((h) => h.deviceId === deviceId)?.held ?? 0;

describe.each(testDatabaseKinds())('archive replication on %s', (kind) => {
  const databases = new ClusterDatabases(kind);
  let a: RunningNode;
  let b: RunningNode;
  let c: RunningNode;
  let first: RunningNode;
  let second: RunningNode;
  let blobId: Uint8Array;
  /** Bytes of the first test's sealed blob. */
  let size = 0;
  const events: AgentEvent[] = [];

  beforeAll(async () => {
    const dir = await makeTempDir('kith-archive-');
    const urls = [];
    for (let i = 0; i < 3; i++) urls.push(await databases.urlFor('kith_archive'));
    [a, b, c] = await Promise.all([
      makeNode(join(dir, 'a'), '127.0.0.2', urls[0]),
      makeNode(join(dir, 'b'), '127.0.0.3', urls[1]),
      makeNode(join(dir, 'c'), '127.0.0.4', urls[2]),
    ]);
    for (const friend of [b, c]) {
      const invite = await a.pairing.createInvite({ role: 'friend' });
      await confirmBoth(a, friend, (await friend.pairing.acceptFriend(invite.code)).userId);
    }
    await waitFor(
      'A linked to B and C',
      async () =>
        a.node.session(b.node.deviceId) !== undefined && a.node.session(c.node.deviceId) !== undefined,
    );
    a.node.options.events.subscribe((e) => events.push(e));
    // A prefers friends' devices in device-id order: that decides which one holds first.
    [first, second] = b.node.deviceId < c.node.deviceId ? [b, c] : [c, b];
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.shutdown(), b?.shutdown(), c?.shutdown()]);
    await databases.dispose();
  }, 60_000);

  it('a put is held by two devices, each with a verified storage receipt', async () => {
    const ciphertext = await sealedTestBlob(a, 3000);
    size = ciphertext.length;
    const put = await a.archive.put('history', ciphertext);
    expect(put.status).toBe('stored');
    expect(put.sentTo).toEqual([first.node.deviceId]);
    blobId = fromHex(put.id);
    const s = await waitFor('two copies', async () => {
      const st = await a.archive.status();
      return st.copies['2'] === 1 ? st : undefined;
    });
    expect(s).toMatchObject({ items: 1, bytes: size, underReplicated: 0, copies: { '2': 1 } });
    const ledger = await a.archive.holders.holdersOf(blobId);
    expect(ledger.map((h) => h.deviceId).sort()).toEqual([a.node.deviceId, first.node.deviceId].sort());
    for (const h of ledger) {
      const device = await a.node.identity.device(h.deviceId);
      const r = checkStorageReceipt(h.receipt, {
        blob: blobId,
        holder: device!.signingPublicKey,
        owner: a.node.userId,
        size,
      });
      expect(r.owner).toBe(a.node.userId);
    }
    // The holder keeps the copy against A's quota; it is not its own item.
    const atHolder = await first.archive.status();
    expect(atHolder.heldForOthers).toEqual({ items: 1, bytes: size });
    expect(atHolder.items).toBe(0);
    expect((await first.archive.blobs.quotas.usage(a.node.userId)).usedBytes).toBe(size);
  }, 60_000);

  it('a holder that lost the blob fails the challenge and is replaced', async () => {
    expect(await first.archive.blobs.delete(a.node.userId, blobId)).toBe(1);
    expect(await a.archive.checkAll()).toBe(1);
    const s = await repairUntil(
      a,
      'replaced after a failed check',
      (st) => st.underReplicated === 0 && held(st, second.node.deviceId) === 1,
    );
    const failed = s.holders.find((h) => h.deviceId === first.node.deviceId);
    expect(failed).toMatchObject({ held: 0, failed: 1 });
    expect(events.some((e) => e.type === 'archive.checked' && e.data.passed === false)).toBe(true);
    expect(await second.archive.blobs.has(a.node.userId, blobId)).toBe(true);
  }, 60_000);

  it('a holder unreachable past the grace period is replaced; repair progress is published', async () => {
    const stopped = second.node.deviceId;
    await second.shutdown();
    const s = await repairUntil(
      a,
      'replaced after the grace period',
      (st) => st.underReplicated === 0 && held(st, first.node.deviceId) === 1,
    );
    expect(s.holders.find((h) => h.deviceId === stopped)).toMatchObject({ held: 0, lost: 1, online: false });
    expect(s.copies).toEqual({ '2': 1 });
    expect(events.some((e) => e.type === 'archive.holder-lost' && e.data.holder === stopped)).toBe(true);
    const progress = events.filter((e) => e.type === 'archive.repair');
    expect(progress.at(-1)?.data).toMatchObject({ underReplicated: 0 });
    expect(progress.some((e) => e.data.underReplicated === 1)).toBe(true);
    expect(await first.archive.blobs.has(a.node.userId, blobId)).toBe(true);
  }, 60_000);

  it('a holder over its quota for the owner refuses with a clear code, and the blob stays under-replicated', async () => {
    await first.archive.blobs.quotas.setLimits(a.node.userId, { bytes: 0 });
    const put = await a.archive.put('history', await sealedTestBlob(a, 100));
    expect(put.sentTo).toEqual([first.node.deviceId]);
    const refused = await waitFor('refused', async () =>
      events.find((e) => e.type === 'archive.refused' && e.data.blob === put.id),
    );
    expect(refused.data).toMatchObject({ holder: first.node.deviceId, code: 'ARCHIVE_QUOTA_EXCEEDED' });
    await a.archive.repair();
    const s = await a.archive.status();
    expect(s).toMatchObject({ items: 2, underReplicated: 1, copies: { '1': 1, '2': 1 } });
    expect(s.repair.running).toBe(true);
  }, 60_000);

  it('a holder refuses a copy claimed for another owner, and a friend when it does not relay', async () => {
    const session = first.node.session(a.node.deviceId)!;
    const bytes = await sealedTestBlob(a, 64);
    const blob = contentId(bytes);
    const store = (owner: string) =>
      first.archive.onArchive(session, {
        v: 1,
        t: 'archive-store',
        blob,
        owner,
        kind: 'history',
        ciphertext: bytes,
      });
    const refusal = () =>
      waitFor('refused', async () =>
        events.find((e) => e.type === 'archive.refused' && e.data.blob === toHex(blob) && !seen.has(e)),
      );
    const seen = new Set<AgentEvent>();
    await store(first.node.userId);
    const other = await refusal();
    seen.add(other);
    expect(other.data).toMatchObject({ holder: first.node.deviceId, code: 'ARCHIVE_NOT_HOLDING' });
    first.archive.options.holdForFriends = false;
    try {
      await store(a.node.userId);
      expect((await refusal()).data).toMatchObject({ code: 'ARCHIVE_NOT_HOLDING' });
    } finally {
      first.archive.options.holdForFriends = true;
    }
    expect(await first.archive.blobs.has(a.node.userId, blob)).toBe(false);
    expect(await first.archive.blobs.has(first.node.userId, blob)).toBe(false);
  }, 60_000);
});
