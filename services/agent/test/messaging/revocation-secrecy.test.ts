/**
 * Revocation and secrecy (docs/SECURITY.md "What a thief learns"): B has a phone and an
 * appliance, F is B's friend. After B revokes the appliance, every item written — by F or by
 * B's phone — is under a new epoch whose key never went to the appliance, so the appliance's
 * whole data dir (keys and database), with every item a relay or wiretap recorded, opens none
 * of them; everything written before still opens on the devices that remain. Real links on
 * loopback, real PGlite, real keys.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import {
  startInProcessNode,
  startPhoneApplianceAndFriend,
} from '../../../../test/helpers/in-process-node.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';
import { type Captured, thiefOpens, wiretap } from './thief.ts';

const WAIT = 90_000;

function start(dir: string, host: string): Promise<RunningNode> {
  return runNode({
    flags: { data: dir, host, peerPort: '0', apiPort: '0', heartbeatMeanMs: '2000', logLevel: 'silent' },
    env: { KITH_PORT_WINDOWS: 'off' },
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
  });
}

describe('secrecy after a revocation', () => {
  let dir: string;
  let phrase: string;
  let phone: RunningNode;
  let appliance: RunningNode;
  let friend: RunningNode;
  const captured: Captured[] = [];

  beforeAll(async () => {
    dir = await makeTempDir('kith-revoke-secrecy-');
    ({ phrase, phone, appliance, friend } = await startPhoneApplianceAndFriend({
      dir,
      hosts: ['127.0.0.31', '127.0.0.32', '127.0.0.33'],
      start,
      startFriend: (d, host) => startInProcessNode(d, host, { heartbeatMeanMs: 2000 }),
    }));
    for (const n of [phone, appliance, friend]) wiretap(n, captured);
    await waitFor(
      'F linked to the appliance too',
      async () => friend.node.session(appliance.node.deviceId),
      WAIT,
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all([phone?.shutdown(), appliance?.shutdown(), friend?.shutdown()]);
  }, 60_000);

  const texts = async (n: RunningNode) => (await n.messenger.list()).map((m) => m.text);
  const has = (n: RunningNode, text: string) =>
    waitFor(`${text} arrived`, async () => (await texts(n)).includes(text), WAIT);

  it('the revoked device’s keys open nothing written after it; the rest opens everything', async () => {
    await friend.messenger.sendText({ to: phone.node.userId }, 'F before');
    await phone.messenger.sendText({ to: friend.node.userId }, 'B before');
    await Promise.all([has(phone, 'F before'), has(appliance, 'F before'), has(appliance, 'B before')]);
    await has(friend, 'B before');

    await phone.node.revokeDevice(appliance.node.deviceId, phrase);
    await waitFor(
      'F learned of the revocation',
      async () => (await friend.node.identity.device(appliance.node.deviceId))?.status === 'revoked',
      WAIT,
    );

    await friend.messenger.sendText({ to: phone.node.userId }, 'F after');
    await phone.messenger.sendText({ to: friend.node.userId }, 'B after');
    await Promise.all([has(phone, 'F after'), has(friend, 'B after')]);

    // The thief holds the revoked appliance's data dir and every item recorded anywhere.
    await appliance.shutdown();
    const stolen = await thiefOpens(join(dir, 'appliance'), captured);
    expect(stolen.has('F before')).toBe(true);
    expect(stolen.has('B before')).toBe(true);
    expect(stolen.has('F after')).toBe(false);
    expect(stolen.has('B after')).toBe(false);

    // Without the appliance, every item before and after still opens where it belongs.
    expect(await texts(phone)).toEqual(['F before', 'B before', 'F after', 'B after']);
    expect(await texts(friend)).toEqual(['F before', 'B before', 'F after', 'B after']);
  }, 300_000);
});
