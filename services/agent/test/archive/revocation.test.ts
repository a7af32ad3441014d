/**
 * Holder choice and revocation (DESIGN §4, §7): user A has a phone and an appliance (two
 * devices from one phrase) and a friend B. A's items go to A's own appliance first; when A
 * revokes the appliance, its copies stop counting at once (no grace period) and the repair
 * loop copies them to B. Real links on loopback, real PGlite; repair passes driven by the test.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { enrolDevice } from '@kith/core/identity/enrol';
import { createGenesis, verifyLog } from '@kith/core/identity/log';
import { generatePhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { createKeystore } from '../../src/keystore/index.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));

function start(dir: string, host: string): Promise<RunningNode> {
  return runNode({
    flags: { data: dir, host, peerPort: '0', apiPort: '0', heartbeatMeanMs: '300', logLevel: 'silent' },
    env: {},
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
    phrase = generatePhrase(random);
    const seed = phraseToSeed(phrase);
    const root = deriveRootKeys(seed);
    const keys = [deriveDeviceKeys(seed, 0), deriveDeviceKeys(seed, 1)];
    let log = verifyLog([createGenesis(root)]);
    log = enrolDevice(log, root, keys[0]!, { deviceName: 'phone', now: Date.now() });
    log = enrolDevice(log, root, keys[1]!, { deviceName: 'appliance', now: Date.now() });
    for (const [i, name] of ['phone', 'appliance'].entries()) {
      await createKeystore({
        dataDir: join(dir, name),
        userId: root.userId,
        device: keys[i]!,
        logEntries: log.entries,
      });
    }
    const friendSeed = random(64);
    const friendRoot = deriveRootKeys(friendSeed);
    const friendKeys = deriveDeviceKeys(friendSeed, 0);
    const friendLog = enrolDevice(verifyLog([createGenesis(friendRoot)]), friendRoot, friendKeys, {
      deviceName: 'friend',
      now: Date.now(),
    });
    await createKeystore({
      dataDir: join(dir, 'friend'),
      userId: friendRoot.userId,
      device: friendKeys,
      logEntries: friendLog.entries,
    });
    [phone, appliance, friend] = await Promise.all([
      start(join(dir, 'phone'), '127.0.0.5'),
      start(join(dir, 'appliance'), '127.0.0.6'),
      start(join(dir, 'friend'), '127.0.0.7'),
    ]);
    // The two own devices were made offline: tell the appliance where the phone listens.
    await appliance.node.addresses.offer(phone.node.ownAddressRecord!);
    void appliance.node.dialDue();
    const invite = await phone.pairing.createInvite({ role: 'friend' });
    await friend.pairing.acceptFriend(invite.code);
    await waitFor(
      'the phone linked to its appliance and to the friend',
      async () =>
        phone.node.session(appliance.node.deviceId) !== undefined &&
        phone.node.session(friend.node.deviceId) !== undefined,
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all([phone?.shutdown(), appliance?.shutdown(), friend?.shutdown()]);
  }, 60_000);

  it('a current blob goes to a friend’s device first (only a friend holds its second share)', async () => {
    const put = await phone.archive.put('current', random(1024));
    expect(put.sentTo).toEqual([friend.node.deviceId]);
  }, 60_000);

  it('other kinds go to own devices first; a revoked holder is replaced by a friend at the next repair', async () => {
    const put = await phone.archive.put('history', random(2048));
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
    expect(await friend.archive.blobs.has(new Uint8Array(Buffer.from(put.id, 'hex')))).toBe(true);
  }, 60_000);
});
