/**
 * Placement of the lists (docs/ARCHITECTURE.md "List placement"; list-placement.ts): user A has
 * a phone and an appliance (two devices from one phrase) and a friend B. The appliance is
 * offline while the phone's archive pass writes the history index and the active list; only the
 * friend takes them. Once the appliance is back, the lists reach it without a new pass, so each
 * is held by two other devices. Then the appliance keeps a competing version of the history index
 * (same version number, other bytes) and the phone writes that number with the entries it had:
 * the appliance refuses it, and the phone's next pass writes a newer version both holders take. Real links on loopback, real PGlite.
 */
import { sealArchiveIndex } from '@kith/core/archive/archive-seal';
import { toHex } from '@kith/core/crypto/index';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { startPhoneApplianceAndFriend } from '../../../../test/helpers/in-process-node.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';
import { join } from 'node:path';

const HOSTS = ['127.0.0.187', '127.0.0.188', '127.0.0.189'] as const;

function start(dir: string, host: string): Promise<RunningNode> {
  return runNode({
    flags: { data: dir, host, peerPort: '0', apiPort: '0', heartbeatMeanMs: '2000', logLevel: 'silent' },
    env: { KITH_PORT_WINDOWS: 'off' },
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
    // No timers: the test runs each repair and archive pass itself.
    archive: { scheduler: () => () => {}, graceMs: 3_600_000, replyTimeoutMs: 20_000 },
    archivist: { scheduler: () => () => {}, debounceMs: 0 },
  });
}

describe('archive list placement', () => {
  let dir: string;
  let phone: RunningNode;
  let appliance: RunningNode;
  let friend: RunningNode;

  const heldVersion = async (holder: RunningNode, name: 'conversations' | 'active') =>
    (await holder.archive.fetcher.indexes.get(phone.node.userId, name))?.version;
  const lists = async () => Object.fromEntries((await phone.archive.status()).lists.map((l) => [l.name, l]));

  beforeAll(async () => {
    dir = await makeTempDir('kith-list-placement-');
    ({ phone, appliance, friend } = await startPhoneApplianceAndFriend({ dir, hosts: HOSTS, start }));
  }, 120_000);

  afterAll(async () => {
    await Promise.all([phone?.shutdown(), appliance?.shutdown(), friend?.shutdown()]);
  }, 120_000);

  it('a device offline during the pass gets the lists once it is back: two holders each', async () => {
    const applianceId = appliance.node.deviceId;
    await appliance.shutdown();
    await waitFor(
      'the phone sees the appliance offline',
      async () => !phone.node.isOnline(applianceId),
      90_000,
    );

    await phone.messenger.sendText({ to: friend.node.userId }, 'hello B');
    const report = await phone.archivist.sync();
    expect(report.failed).toEqual([]);
    expect(report.historyIndex).not.toBeNull(); // the friend bundle is listed in it
    expect(report.activeList).not.toBeNull();
    const before = await lists();
    expect(before.conversations).toMatchObject({ holders: 1, wanted: 2 });
    expect(before.active).toMatchObject({ holders: 1, wanted: 2 });
    expect(await heldVersion(friend, 'conversations')).toBe(before.conversations!.version);

    // Back, with what it had: nothing of the lists written while it was away.
    appliance = await start(join(dir, 'appliance'), HOSTS[1]);
    expect(await heldVersion(appliance, 'conversations')).toBeUndefined();
    void appliance.node.dialDue();
    await waitFor(
      'both lists on two other devices',
      async () => {
        const l = await lists();
        return l.conversations?.holders === 2 && l.active?.holders === 2;
      },
      90_000,
    );
    expect(await heldVersion(appliance, 'conversations')).toBe(before.conversations!.version);
    expect(await heldVersion(appliance, 'active')).toBe(before.active!.version);
    // No new version was needed for it.
    expect((await lists()).conversations!.version).toBe(before.conversations!.version);
  }, 240_000);

  it('a holder with a competing version of the same number gets a newer, merged version', async () => {
    const { version } = (await lists()).conversations!;
    // The appliance (an own device) wrote its own version N+1 while the phone did not see it.
    const competing = await sealArchiveIndex({
      name: 'conversations',
      list: { v: 2, entries: [] },
      owners: [appliance.node.options.device.keys.agreement.publicKey],
      recovery: appliance.node.ownLog.recoveryKey,
      sender: appliance.node.options.device.keys.signing,
      createdAt: Date.now(),
      random: appliance.node.random,
    });
    await appliance.archive.fetcher.indexes.storeNewer({
      ownerId: phone.node.userId,
      name: 'conversations',
      version: version + 1,
      ciphertext: competing,
    });
    // The phone writes its own N+1 (the same entries as N) without fetching first: the
    // appliance refuses it, and a fetch shows nothing new to merge.
    const mine = (await phone.archive.fetcher.indexes.get(phone.node.userId, 'conversations'))!.ciphertext;
    const put = await phone.archive.putIndex('conversations', mine);
    expect(put.version).toBe(version + 1);
    expect(put.heldBy).toEqual([friend.node.deviceId]);
    expect((await lists()).conversations).toMatchObject({ holders: 1, conflict: true });

    // The next pass writes N+2 with everything this device knows; both holders take it.
    const report = await phone.archivist.sync();
    expect(report.historyIndex?.version).toBeGreaterThan(version + 1);
    await waitFor('the history index on two devices again', async () => {
      await phone.archive.repair();
      const l = (await lists()).conversations;
      return l?.holders === 2 && !l.conflict;
    });
    const held = await heldVersion(appliance, 'conversations');
    expect(held).toBe((await lists()).conversations!.version);
    expect(
      toHex((await appliance.archive.fetcher.indexes.get(phone.node.userId, 'conversations'))!.blobId),
    ).toBe(toHex((await phone.archive.fetcher.indexes.get(phone.node.userId, 'conversations'))!.blobId));
  }, 240_000);
});
