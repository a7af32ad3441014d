/**
 * Holder choice and revocation (docs/DESIGN.md §4, §7): user A has a phone and an appliance (two
 * devices from one phrase) and a friend B. A's items go to A's own appliance first; when A
 * revokes the appliance, its copies stop counting at once (no grace period) and the repair
 * loop copies them to B. Real links on loopback, real PGlite; repair passes driven by the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { startPhoneApplianceAndFriend } from '../../../../test/helpers/in-process-node.ts';
import { sealedTestBlob } from '../../../../test/helpers/archive-blob.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';

function start(dir: string, host: string): Promise<RunningNode> {
  return runNode({
    flags: { data: dir, host, peerPort: '0', apiPort: '0', heartbeatMeanMs: '300', logLevel: 'silent' },
    env: { KITH_PORT_WINDOWS: 'off' },
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
    // A long grace period: only the revocation can make the appliance's copies lost here.
    archive: { scheduler: () => () => {}, graceMs: 3_600_000 },
  });
}

describe('archive holders and revocation', () => {
  let phrase: string;
  let phone: RunningNode;
  let appliance: RunningNode;
  let friend: RunningNode;

  beforeAll(async () => {
    const dir = await makeTempDir('kith-archive-revoke-');
    ({ phrase, phone, appliance, friend } = await startPhoneApplianceAndFriend({
      dir,
      hosts: ['127.0.0.5', '127.0.0.6', '127.0.0.7'],
      start,
    }));
  }, 120_000);

  afterAll(async () => {
    await Promise.all([phone?.shutdown(), appliance?.shutdown(), friend?.shutdown()]);
  }, 60_000);

  it('a current blob goes to a friend’s device first (only a friend holds its second share)', async () => {
    const put = await phone.archive.put('current', await sealedTestBlob(phone, 1024));
    expect(put.sentTo).toEqual([friend.node.deviceId]);
  }, 60_000);

  it('other kinds go to own devices first; a revoked holder is replaced by a friend at the next repair', async () => {
    const put = await phone.archive.put('history', await sealedTestBlob(phone, 2048));
    expect(put.sentTo).toEqual([appliance.node.deviceId]);
    await waitFor('the appliance holds it', async () => (await phone.archive.status()).underReplicated === 0);
    expect((await appliance.archive.status()).heldForOthers.items).toBe(1);

    await phone.node.revokeDevice(appliance.node.deviceId, phrase);
    const s = await waitFor('replaced by the friend', async () => {
      await phone.archive.repair();
      const st = await phone.archive.status();
      const byFriend = st.holders.find((h) => h.deviceId === friend.node.deviceId);
      // The current blob of the test above, and now this one.
      return st.underReplicated === 0 && byFriend?.held === 2 ? st : undefined;
    });
    expect(s.holders.find((h) => h.deviceId === appliance.node.deviceId)).toMatchObject({ held: 0, lost: 1 });
    expect(s.copies).toEqual({ '2': 2 });
    expect(
      await friend.archive.blobs.has(phone.node.userId, new Uint8Array(Buffer.from(put.id, 'hex'))),
    ).toBe(true);
  }, 60_000);
});
