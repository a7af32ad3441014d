/**
 * A hostile friend against the archive (docs/SECURITY.md "A friend holding your archive
 * item"): user G has two devices (G0, G1, one phrase); friend F holds G's `current` items
 * (it is their holder, so it has their holder-group share) and relays for G, so G's devices
 * store F's blobs and lists. F tries every store / re-wrap sequence to get a second share of
 * G's items: its own re-signed envelope carrying G's wraps (header v3, and v2 items sealed
 * before v3), G's bytes stored as its own, G's id taken before G stores it, G's lists copied
 * into its own. It never gets one; G's real stores and fetches keep working.
 * Real links on loopback, real databases (PGlite; Postgres too when DATABASE_URL is set).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openTranscript, sealArchiveIndex, sealCurrent, sealHistory } from '@kith/core/archive/archive-seal';
import type { Transcript } from '@kith/core/archive/transcript';
import { unwrapShares } from '@kith/core/envelope';
import { isKithError } from '@kith/core/errors';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { enrolDevice } from '@kith/core/identity/enrol';
import { createGenesis, verifyLog } from '@kith/core/identity/log';
import { generatePhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { contentId } from '@kith/archive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  reSignEnvelope,
  sealLegacyEnvelope,
} from '../../../../packages/core/test/helpers/envelope-forgery.ts';
import { ClusterDatabases, clusterDatabaseKind, waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { confirmBoth, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import { createKeystore } from '../../src/keystore/index.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));
const archive = { scheduler: () => () => {}, replyTimeoutMs: 30_000, graceMs: 3_600_000 };
/** Generous: many round trips each, on a machine that may be busy. */
const SLOW = 240_000;

const transcript = (conversation: string, closedAt: number | null): Transcript => ({
  v: 1,
  conversation,
  topic: 'only G may read this',
  kind: 'direct',
  members: ['g', 'h'],
  closedAt,
  messages: [{ id: 'c0ffee', from: 'g', device: 'g0', sentAt: 1_700_000_000_000, text: 'the secret' }],
});

describe.each(clusterDatabaseKind())('a hostile friend against the archive on %s', (kind) => {
  const databases = new ClusterDatabases(kind);
  let g0: RunningNode;
  let g1: RunningNode;
  let f: RunningNode;
  let userG: string;
  let recovery: Uint8Array;
  const key = (n: RunningNode) => n.node.staticKeyPair;
  const signer = (n: RunningNode) => n.node.options.device.keys.signing;
  const owners = () => [g0, g1].map((n) => key(n).publicKey);
  /** Every share F obtained by asking G's devices (opened with F's key). */
  const obtained: Uint8Array[] = [];

  /** F sends `archive-store` as the owner it names (messages on one link are handled in order). */
  function fStores(to: RunningNode, owner: string, ciphertext: Uint8Array, blobKind: 'current' | 'history') {
    const sent = f.node.session(to.node.deviceId)!.send({
      v: 1,
      t: 'archive-store',
      blob: contentId(ciphertext),
      owner,
      kind: blobKind,
      ciphertext,
    });
    expect(sent).toBe(true);
  }

  /** F asks `from` for a blob or list as its own, with its share re-wrapped; the answer or refusal code. */
  async function fAsks(from: RunningNode, ask: { blob?: Uint8Array; index?: 'conversations' | 'active' }) {
    try {
      const got = await f.archive.fetcher.request(from.node.deviceId, {
        owner: f.node.userId,
        rewrap: true,
        ...ask,
      });
      if (got.share) obtained.push(got.share);
      return { share: got.share, code: undefined };
    } catch (err) {
      if (!isKithError(err)) throw err;
      return { share: undefined, code: err.code };
    }
  }

  /** G's devices: does `device` hold G's blob `id`? (G0 asks; a refusal means no.) */
  async function gHolds(device: RunningNode, id: Uint8Array): Promise<boolean> {
    try {
      await g0.archive.fetcher.request(device.node.deviceId, { owner: userG, blob: id, rewrap: false });
      return true;
    } catch {
      return false;
    }
  }

  beforeAll(async () => {
    const dir = await makeTempDir('kith-archive-hostile-');
    const phrase = generatePhrase(random);
    const seed = phraseToSeed(phrase);
    const root = deriveRootKeys(seed);
    recovery = root.recovery.publicKey;
    userG = root.userId;
    const keys = [0, 1].map((i) => deriveDeviceKeys(seed, i));
    let log = verifyLog([createGenesis(root)]);
    for (const [i, k] of keys.entries())
      log = enrolDevice(log, root, k, { deviceName: `g${i}`, now: Date.now() });
    const started: RunningNode[] = [];
    for (const [i, k] of keys.entries()) {
      const dataDir = join(dir, `g${i}`);
      await createKeystore({ dataDir, userId: root.userId, device: k, logEntries: log.entries });
      const databaseUrl = await databases.urlFor('kith_hostile');
      started.push(
        await runNode({
          flags: {
            data: dataDir,
            host: `127.0.0.${71 + i}`,
            peerPort: '0',
            apiPort: '0',
            heartbeatMeanMs: '2000',
            logLevel: 'silent',
          },
          env: { KITH_PORT_WINDOWS: 'off', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
          handleSignals: false,
          logger: createLogger({ level: 'silent' }),
          archive,
        }),
      );
    }
    [g0, g1] = started as [RunningNode, RunningNode];
    f = await startInProcessNode(join(dir, 'f'), '127.0.0.73', {
      databaseUrl: await databases.urlFor('kith_hostile'),
      archive,
      // 2 s as the other two: at 300 ms a loaded CI machine dropped links before all three met.
      heartbeatMeanMs: 2000,
    });
    await g1.node.addresses.offer(g0.node.ownAddressRecord!);
    void g1.node.dialDue();
    const invite = await g0.pairing.createInvite({ role: 'friend' });
    await confirmBoth(g0, f, (await f.pairing.acceptFriend(invite.code)).userId);
    const all = [g0, g1, f];
    await waitFor(
      'every device linked to every other',
      async () =>
        all.every((x) => all.every((y) => x === y || x.node.session(y.node.deviceId) !== undefined)),
      120_000,
    );
  }, 300_000);

  afterAll(async () => {
    await Promise.all([g0, g1, f].map((n) => n?.shutdown()));
    await databases.dispose();
  }, 60_000);

  it(
    'a current item (header v3): F holds it and its holder share, and gets no owner share by any route',
    async () => {
      const sealed = await sealCurrent({
        transcript: transcript('conv-v3', null),
        owners: owners(),
        holders: [key(f).publicKey],
        sender: signer(g0),
        createdAt: Date.now(),
        random,
      });
      const put = await g0.archive.put('current', sealed, { preferHolders: [f.node.deviceId] });
      expect(put.sentTo).toEqual([f.node.deviceId]);
      const id = contentId(sealed);
      // F's own share: the holder group's.
      expect((await unwrapShares(sealed, key(f))).map((s) => s.group)).toEqual([1]);

      // 1. G's wraps in F's own re-signed envelope, stored as F's on each of G's devices.
      const forged = reSignEnvelope(sealed, signer(f));
      for (const device of [g0, g1]) {
        fStores(device, f.node.userId, forged, 'current');
        const answer = await fAsks(device, { blob: contentId(forged) });
        expect(answer.share).toBeUndefined();
      }
      // 2. G's own bytes stored as F's (the id is G's): refused, so nothing to re-wrap.
      fStores(g1, f.node.userId, sealed, 'current');
      expect((await fAsks(g1, { blob: id })).code).toBe('ARCHIVE_NOT_FOUND');
      // 3. Stored under G's name: a device stores only for the user its link belongs to.
      fStores(g1, userG, sealed, 'current');
      expect(await gHolds(g1, id)).toBe(false);
      // 4. Asking for G's item as G: F is no device of G.
      await expect(
        f.archive.fetcher.request(g0.node.deviceId, { owner: userG, blob: id, rewrap: true }),
      ).rejects.toMatchObject({ code: 'ARCHIVE_NOT_OWNER' });

      // G's own retrieval still works: G1 gets F's holder share and opens it.
      const got = await g1.archive.fetchBlob(id, { rewrap: true, from: [f.node.deviceId] });
      expect(got.share).toBeDefined();
      const opened = await openTranscript(got.ciphertext, { keys: [key(g1)], shares: [got.share!] });
      expect(opened.transcript.conversation).toBe('conv-v3');
    },
    SLOW,
  );

  it(
    'items sealed before header v3 (v2): a re-signed copy yields no owner or history share either',
    async () => {
      const current = await sealLegacyEnvelope({
        kind: 'archive-current',
        plaintext: new Uint8Array(32),
        shareGroups: [owners(), [key(f).publicKey]],
        threshold: 2,
        sender: signer(g0),
        createdAt: Date.now(),
        random,
      });
      const history = await sealLegacyEnvelope({
        kind: 'archive-history',
        plaintext: new Uint8Array(32),
        shareGroups: [[key(g0).publicKey], [key(g1).publicKey], [recovery]],
        threshold: 2,
        sender: signer(g0),
        createdAt: Date.now(),
        random,
      });
      // G put the v2 current item with F as holder (as before the upgrade); F has it.
      await g0.archive.put('current', current, { preferHolders: [f.node.deviceId] });
      for (const [bytes, blobKind] of [
        [current, 'current'],
        [history, 'history'],
      ] as const) {
        const forged = reSignEnvelope(bytes, signer(f));
        for (const device of [g0, g1]) {
          fStores(device, f.node.userId, forged, blobKind);
          const answer = await fAsks(device, { blob: contentId(forged) });
          // Stored (F signed it and F is its owner), but G's device hands over no share of it.
          expect(answer.code).toBeUndefined();
          expect(answer.share).toBeUndefined();
        }
      }
      // G's own v2 item still opens: F (holder) re-wraps its holder share to G1.
      const got = await g1.archive.fetchBlob(contentId(current), { rewrap: true, from: [f.node.deviceId] });
      expect(got.share).toBeDefined();
    },
    SLOW,
  );

  it(
    'the history index (v3 and v2): F’s own list carrying G’s wraps gets no content key',
    async () => {
      const list = { v: 1 as const, entries: [] };
      const v3 = await sealArchiveIndex({
        name: 'conversations',
        list,
        owners: owners(),
        recovery,
        sender: signer(g0),
        createdAt: Date.now(),
        random,
      });
      const v2 = await sealLegacyEnvelope({
        kind: 'archive-conversations',
        plaintext: new Uint8Array(8),
        shareGroups: [[...owners(), recovery]],
        threshold: 1,
        sender: signer(g0),
        createdAt: Date.now(),
        random,
      });
      let version = 1;
      for (const sealed of [v3, v2]) {
        const forged = reSignEnvelope(sealed, signer(f));
        for (const device of [g0, g1]) {
          f.node.session(device.node.deviceId)!.send({
            v: 1,
            t: 'archive-index-put',
            owner: f.node.userId,
            name: 'conversations',
            version: version++,
            ciphertext: forged,
          });
          const answer = await fAsks(device, { index: 'conversations' });
          expect(answer.share).toBeUndefined();
          // G's genuine list passed off as F's is not kept at all.
          f.node.session(device.node.deviceId)!.send({
            v: 1,
            t: 'archive-index-put',
            owner: f.node.userId,
            name: 'active',
            version: 1,
            ciphertext: sealed,
          });
          expect((await fAsks(device, { index: 'active' })).code).toBe('ARCHIVE_NOT_FOUND');
        }
      }
    },
    SLOW,
  );

  it(
    'an id F took first does not stand in for G’s copy: G’s later store is G’s own row',
    async () => {
      const sealed = await sealHistory({
        transcript: transcript('conv-squat', 1_700_000_100_000),
        archivist: key(g0).publicKey,
        second: key(g1).publicKey,
        recovery,
        sender: signer(g0),
        createdAt: Date.now(),
        random,
      });
      const id = contentId(sealed);
      // As if F had stored G's bytes before holders checked who sealed them.
      await g1.archive.blobs.put({ id, ownerId: f.node.userId, kind: 'history', ciphertext: sealed });
      expect(await gHolds(g1, id)).toBe(false);
      const put = await g0.archive.put({
        kind: 'history',
        ciphertext: sealed,
        preferHolders: [g1.node.deviceId],
      });
      expect(put.sentTo).toEqual([g1.node.deviceId]);
      await waitFor('G1 holds G’s own copy', async () => gHolds(g1, id));
      // G's fetch from G1 works, with G1's share; F's "own" copy gives F nothing.
      const share = await g0.archive.requestShare(g1.node.deviceId, id);
      expect((await openTranscript(sealed, { keys: [key(g0)], shares: [share] })).kind).toBe('history');
      expect((await fAsks(g1, { blob: id })).share).toBeUndefined();
    },
    SLOW,
  );

  it('with everything it gathered, F opens none of G’s items', () => {
    expect(obtained).toEqual([]);
  });
});
