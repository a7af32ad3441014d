/**
 * A whole node in this test process: a fresh identity, real PGlite in its own data dir, the real
 * peer port on a loopback test host. Cheaper than a `kith up` process when a test needs to reach
 * inside (inject items, read stores); cross-process behaviour is what test/cluster is for.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { enrolDevice } from '@kith/core/identity/enrol';
import { createGenesis, verifyLog } from '@kith/core/identity/log';
import { generatePhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { createIdentity } from '../../services/agent/src/keystore/create-identity.ts';
import { createKeystore } from '../../services/agent/src/keystore/index.ts';
import { createLogger, type Logger } from '../../services/agent/src/logger.ts';
import { type RunNodeOptions, type RunningNode, runNode } from '../../services/agent/src/node.ts';
import { waitFor } from './cluster.ts';
import { testPgliteThread } from './database.ts';

export async function startInProcessNode(
  dir: string,
  host: string,
  options: {
    heartbeatMeanMs?: number;
    databaseUrl?: string | undefined;
    extend?: RunNodeOptions['extend'];
    archive?: RunNodeOptions['archive'];
    /** Port-window knobs (clock, timers, skew, invite grace); windows stay off unless env turns them on. */
    portWindows?: RunNodeOptions['portWindows'];
    /** The user's BIP39 seed (e.g. from a known phrase); fresh random when absent. */
    seed?: Uint8Array;
    /** More configuration variables (e.g. KITH_RELAY_USER_QUOTA_BYTES). */
    env?: Record<string, string>;
    /** Where the node logs (default: nowhere). */
    logger?: Logger;
    /** Start the node already in `dir` again (after `shutdown()`): no new identity. */
    restart?: boolean;
  } = {},
): Promise<RunningNode> {
  const seed = options.seed ?? new Uint8Array(randomBytes(64));
  if (!options.restart)
    await createIdentity({
      dataDir: dir,
      deviceName: host,
      seed,
      random: (n) => new Uint8Array(randomBytes(n)),
    });
  return runNode({
    flags: {
      data: dir,
      host,
      peerPort: '0',
      apiPort: '0',
      heartbeatMeanMs: String(options.heartbeatMeanMs ?? 300),
      logLevel: 'silent',
    },
    // Port windows off unless a test turns them on: these tests expect a port that listens.
    env: {
      KITH_PORT_WINDOWS: 'off',
      KITH_PORT_MAPPING: 'off',
      KITH_PGLITE_WORKER: testPgliteThread() === 'worker' ? 'on' : 'off',
      ...options.env,
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    },
    handleSignals: false,
    logger: options.logger ?? createLogger({ level: 'silent' }),
    ...(options.extend ? { extend: options.extend } : {}),
    ...(options.archive ? { archive: options.archive } : {}),
    ...(options.portWindows ? { portWindows: options.portWindows } : {}),
  });
}

/**
 * Pairs two running nodes as friends, the way `kith invite` / `kith accept` do, and both people
 * confirm the six digits (each side holds the other as pending until then).
 */
export async function pairInProcess(inviter: RunningNode, acceptor: RunningNode): Promise<void> {
  const invite = await inviter.pairing.createInvite({ role: 'friend' });
  const paired = await acceptor.pairing.acceptFriend(invite.code);
  await confirmBoth(inviter, acceptor, paired.userId);
}

/** Both sides of a friend pairing say the six digits match (`inviterId`: the acceptor's answer). */
export async function confirmBoth(
  inviter: RunningNode,
  acceptor: RunningNode,
  inviterId: string,
): Promise<void> {
  await acceptor.pairing.pending.confirm(inviterId);
  await inviter.pairing.pending.confirm(acceptor.node.userId);
}

export interface PhoneApplianceAndFriend {
  /** User A's phrase: A's two devices are indexes 0 and 1 of it. */
  phrase: string;
  phone: RunningNode;
  appliance: RunningNode;
  /** A friend of A (paired with the phone), a user of its own. */
  friend: RunningNode;
}

/**
 * The base case of docs/DESIGN.md §1 in this process: user A's phone and appliance (two devices from
 * one phrase, enrolled offline) and A's friend, started with `start` (the friend too unless
 * `startFriend` is given), the appliance told where the phone listens, the friend paired with
 * the phone; resolves once the phone is linked to both.
 */
export async function startPhoneApplianceAndFriend(options: {
  dir: string;
  hosts: readonly [phone: string, appliance: string, friend: string];
  start: (dir: string, host: string) => Promise<RunningNode>;
  startFriend?: (dir: string, host: string) => Promise<RunningNode>;
}): Promise<PhoneApplianceAndFriend> {
  const random = (n: number) => new Uint8Array(randomBytes(n));
  const { dir, hosts, start } = options;
  const phrase = generatePhrase(random);
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
  let startFriend = options.startFriend;
  if (!startFriend) {
    await createIdentity({ dataDir: join(dir, 'friend'), deviceName: 'friend', seed: random(64), random });
    startFriend = start;
  }
  const [phone, appliance, friend] = await Promise.all([
    start(join(dir, 'phone'), hosts[0]),
    start(join(dir, 'appliance'), hosts[1]),
    startFriend(join(dir, 'friend'), hosts[2]),
  ]);
  // The two own devices were made offline: tell the appliance where the phone listens.
  await appliance.node.addresses.offer(phone.node.ownAddressRecord!);
  void appliance.node.dialDue();
  await pairInProcess(phone, friend);
  await waitFor(
    'the phone linked to its appliance and to the friend',
    async () =>
      phone.node.session(appliance.node.deviceId) !== undefined &&
      phone.node.session(friend.node.deviceId) !== undefined,
  );
  return { phrase, phone, appliance, friend };
}
