/**
 * Recovery from the phrase with a friend's invite (docs/DESIGN.md §4, docs/PROTOCOL.md §9 step 6), at
 * the friend's node: user A (known phrase) and friend B run in this process on real PGlite and
 * real loopback links; A's machine is then gone. The recovering side is the same function
 * `kith recover --invite` runs; the refusals are driven with hand-made wire messages.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { defaultBackend } from '@kith/core/crypto/index';
import { isKithError } from '@kith/core/errors';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { enrolDevice } from '@kith/core/identity/enrol';
import { createGenesis, verifyLog } from '@kith/core/identity/log';
import { generatePhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { decodeInvite } from '@kith/core/pairing/invite-code';
import { PairRefuseMessage } from '@kith/core/wire/pairing';
import { RecoverExtendMessage, RecoverLogMessage, RecoverRequestMessage } from '@kith/core/wire/recovery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { confirmBoth, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import {
  createKeystore,
  hasKeystore,
  readBootstrap,
  readIdentityLog,
  unlock,
} from '../../src/keystore/index.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';
import { nextMessage } from '../../src/peer/next-message.ts';
import { dialInvite } from '../../src/peer/invite-dial.ts';
import { recoverFromInvite } from '../../src/peer/recover-from-invite.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));

function start(dir: string, host: string): Promise<RunningNode> {
  return runNode({
    flags: { data: dir, host, peerPort: '0', apiPort: '0', heartbeatMeanMs: '300', logLevel: 'silent' },
    env: { KITH_PORT_WINDOWS: 'off' },
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
  });
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (isKithError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('recovery with a friend’s invite (at the friend’s node)', () => {
  let dir: string;
  let seedA: Uint8Array;
  let userA: string;
  let lostDevice: string;
  let b: RunningNode;
  let c: RunningNode;
  const running: RunningNode[] = [];

  beforeAll(async () => {
    dir = await makeTempDir('kith-recovery-');
    seedA = phraseToSeed(generatePhrase(random));
    userA = deriveRootKeys(seedA).userId;
    const a = await startInProcessNode(join(dir, 'a'), '127.0.0.51', { seed: seedA });
    b = await startInProcessNode(join(dir, 'b'), '127.0.0.52');
    c = await startInProcessNode(join(dir, 'c'), '127.0.0.55');
    running.push(b, c);
    lostDevice = a.node.deviceId;
    const invite = await b.pairing.createInvite({ role: 'friend' });
    await confirmBoth(b, a, (await a.pairing.acceptFriend(invite.code)).userId);
    const fromC = await a.pairing.acceptFriend((await c.pairing.createInvite({ role: 'friend' })).code);
    await confirmBoth(c, a, fromC.userId);
    // A's machine is destroyed.
    await a.shutdown();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(running.map((n) => n.shutdown()));
  });

  it('B hands over its copy, merges the extension (revoke + add at the next index), and links the new device', async () => {
    const invite = await b.pairing.createInvite({ role: 'friend' });
    const target = join(dir, 'a-recovered');
    const r = await recoverFromInvite({
      code: invite.code,
      dataDir: target,
      seed: seedA,
      revoke: [lostDevice],
      deviceName: 'new laptop',
    });
    expect(r.userId).toBe(userA);
    expect(r.deviceIndex).toBe(1);
    expect(r.deviceId).toBe(deriveDeviceKeys(seedA, 1).deviceId);
    expect(r.revoked).toEqual([lostDevice]);
    expect(r.friend).toMatchObject({ userId: b.node.userId, deviceId: b.node.deviceId });

    // B: the extension is merged (not a fork), the new device active, the lost one revoked
    const atB = await b.node.identity.state(userA);
    expect(atB?.devices.get(0)?.status).toBe('revoked');
    expect(atB?.devices.get(1)?.certificate.deviceId).toBe(r.deviceId);
    expect(atB?.devices.get(1)?.status).toBe('active');
    const status = await b.pairing.status(invite.id);
    expect(status.used).toBe(true);
    expect(status.result).toMatchObject({ userId: userA, deviceId: r.deviceId, sas: r.sas, recovery: true });

    // The recovered data dir: the same log as B's, and B's log + address record to import
    const device = await unlock(target, undefined);
    const ownLog = await readIdentityLog(target, device);
    expect(ownLog).toStrictEqual(atB?.entries);
    const bootstrap = await readBootstrap(target, device);
    expect(verifyLog(bootstrap.friendLogs[0]!).userId).toBe(b.node.userId);
    expect(bootstrap.records).toHaveLength(1);

    // Started, it records B as a friend, links to it, and B sees it online
    const recovered = await start(target, '127.0.0.53');
    running.push(recovered);
    expect(await recovered.node.friends.isFriend(b.node.userId)).toBe(true);
    await waitFor('B sees the recovered device online', async () => b.node.isOnline(r.deviceId));
    await waitFor('the recovered device sees B online', async () => recovered.node.isOnline(b.node.deviceId));
    // the hand-over is imported once
    expect((await readBootstrap(target, device)).friendLogs).toHaveLength(0);

    // Another friend, C, still holds the old copy: an ordinary friend invite from C extends it
    // with the recovered log (no fork), and C links to the new device
    const again = await recovered.pairing.acceptFriend(
      (await c.pairing.createInvite({ role: 'friend' })).code,
    );
    await confirmBoth(c, recovered, again.userId);
    expect((await c.node.identity.state(userA))?.devices.get(0)?.status).toBe('revoked');
    await waitFor('C sees the recovered device online', async () => c.node.isOnline(r.deviceId));

    // The index is never reused: a second recovery (another machine) takes index 2
    const second = await b.pairing.createInvite({ role: 'friend' });
    const r2 = await recoverFromInvite({
      code: second.code,
      dataDir: join(dir, 'a-second'),
      seed: seedA,
      deviceName: 'tablet',
    });
    expect(r2.deviceIndex).toBe(2);
    expect((await b.node.identity.state(userA))?.devices.size).toBe(3);
  }, 60_000);

  it('refuses a stranger’s phrase, a used invite, and writes nothing then', async () => {
    const stranger = phraseToSeed(generatePhrase(random));
    const invite = await b.pairing.createInvite({ role: 'friend' });
    const target = join(dir, 'stranger');
    expect(
      await codeOf(
        recoverFromInvite({ code: invite.code, dataDir: target, seed: stranger, deviceName: 'x' }),
      ),
    ).toBe('RECOVERY_UNKNOWN_USER');
    expect(await hasKeystore(target)).toBe(false);
    // A's own phrase with an invite that was already used: B says so (PROTOCOL §9 step 7)
    const used = await b.pairing.createInvite({ role: 'friend' });
    await recoverFromInvite({ code: used.code, dataDir: join(dir, 'a-third'), seed: seedA, deviceName: 'x' });
    expect(
      await codeOf(recoverFromInvite({ code: used.code, dataDir: target, seed: seedA, deviceName: 'x' })),
    ).toBe('INVITE_USED'); // the holder of a used code is told, not met with silence
    expect(await hasKeystore(target)).toBe(false);
  }, 60_000);

  /** Opens a recovery with B by hand and answers its copy with `forge(copy)`; returns B's reply. */
  async function forgedExtension(forge: (copy: Uint8Array[]) => Uint8Array[]): Promise<string> {
    const created = await b.pairing.createInvite({ role: 'friend' });
    const invite = decodeInvite(created.code);
    const temporary = random(32);
    const link = await dialInvite(
      invite,
      { privateKey: temporary, publicKey: defaultBackend().x25519PublicKey(temporary) },
      { clock: Date.now, random },
    );
    try {
      link.send(
        RecoverRequestMessage.encode({ v: 1, t: 'recover-request', inviteId: invite.id, user: userA }),
      );
      const copy = await nextMessage(link, [RecoverLogMessage], 10_000);
      link.send(RecoverExtendMessage.encode({ v: 1, t: 'recover-extend', log: forge(copy.log) }));
      const reply = await nextMessage(link, [PairRefuseMessage], 10_000);
      return reply.code;
    } finally {
      link.close();
    }
  }

  it('B refuses a log that is not A’s, a copy that adds no device, and a fork', async () => {
    const before = await b.node.identity.entries(userA);
    // another user's log, valid in itself
    const seedV = random(64);
    const rootV = deriveRootKeys(seedV);
    const logV = enrolDevice(verifyLog([createGenesis(rootV)]), rootV, deriveDeviceKeys(seedV, 0), {
      deviceName: 'v',
      now: 1,
    });
    expect(await forgedExtension(() => logV.entries)).toBe('RECOVERY_INVALID');
    // A's copy sent back unchanged: nothing to admit
    expect(await forgedExtension((copy) => copy)).toBe('RECOVERY_INVALID');
    // a fresh copy of A's log (genesis from the phrase + a device): a fork of B's copy
    const rootA = deriveRootKeys(seedA);
    const fresh = enrolDevice(verifyLog([createGenesis(rootA)]), rootA, deriveDeviceKeys(seedA, 99), {
      deviceName: 'fork',
      now: 1,
    });
    expect(await forgedExtension(() => fresh.entries)).toBe('LOG_FORK');
    // nothing of it was stored
    expect(await b.node.identity.entries(userA)).toStrictEqual(before);
  }, 60_000);

  it('a device recovered on a fresh log copy is refused as a fork with the way out, and the same invite then works', async () => {
    // `kith recover` without --invite/--log: a fresh copy at a random high index
    const rootA = deriveRootKeys(seedA);
    const device = deriveDeviceKeys(seedA, 2 ** 24 + 17);
    const log = enrolDevice(verifyLog([createGenesis(rootA)]), rootA, device, {
      deviceName: 'fresh',
      now: 1,
    });
    const freshDir = join(dir, 'a-fresh');
    await createKeystore({ dataDir: freshDir, userId: userA, device, logEntries: log.entries });
    const fresh = await start(freshDir, '127.0.0.54');
    running.push(fresh);
    const forks: unknown[] = [];
    fresh.node.options.events.subscribe((event) => {
      if (event.type === 'identity.fork') forks.push(event.data);
    });
    const invite = await b.pairing.createInvite({ role: 'friend' });
    let error: unknown;
    try {
      await fresh.pairing.acceptFriend(invite.code);
    } catch (e) {
      error = e;
    }
    expect(isKithError(error, 'LOG_FORK')).toBe(true);
    expect((error as Error).message).toContain('kith recover --phrase-file F --invite CODE');
    expect(forks).toEqual([
      expect.objectContaining({ userId: userA, hint: expect.stringContaining('--invite') }),
    ]);
    // B did not merge the fork, and the invite is still open for the proper recovery
    expect((await b.node.identity.state(userA))?.devices.has(device.index)).toBe(false);
    expect((await b.pairing.status(invite.id)).used).toBe(false);
    const r = await recoverFromInvite({
      code: invite.code,
      dataDir: join(dir, 'a-fourth'),
      seed: seedA,
      deviceName: 'y',
    });
    expect(r.userId).toBe(userA);
  }, 60_000);
});
