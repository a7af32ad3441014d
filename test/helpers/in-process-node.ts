/**
 * A whole node in this test process: a fresh identity, real PGlite in its own data dir, the real
 * peer port on a loopback test host. Cheaper than a `kith up` process when a test needs to reach
 * inside (inject items, read stores); cross-process behaviour is what test/cluster is for.
 */
import { randomBytes } from 'node:crypto';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { enrolDevice } from '@kith/core/identity/enrol';
import { createGenesis, verifyLog } from '@kith/core/identity/log';
import { createKeystore } from '../../services/agent/src/keystore/index.ts';
import { createLogger } from '../../services/agent/src/logger.ts';
import { type RunNodeOptions, type RunningNode, runNode } from '../../services/agent/src/node.ts';

export async function startInProcessNode(
  dir: string,
  host: string,
  options: {
    heartbeatMeanMs?: number;
    databaseUrl?: string | undefined;
    extend?: RunNodeOptions['extend'];
    archive?: RunNodeOptions['archive'];
    /** The user's BIP39 seed (e.g. from a known phrase); fresh random when absent. */
    seed?: Uint8Array;
  } = {},
): Promise<RunningNode> {
  const seed = options.seed ?? new Uint8Array(randomBytes(64));
  const root = deriveRootKeys(seed);
  const device = deriveDeviceKeys(seed, 0);
  const log = enrolDevice(verifyLog([createGenesis(root)]), root, device, {
    deviceName: host,
    now: Date.now(),
  });
  await createKeystore({ dataDir: dir, userId: root.userId, device, logEntries: log.entries });
  return runNode({
    flags: {
      data: dir,
      host,
      peerPort: '0',
      apiPort: '0',
      heartbeatMeanMs: String(options.heartbeatMeanMs ?? 300),
      logLevel: 'silent',
    },
    env: options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {},
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
    ...(options.extend ? { extend: options.extend } : {}),
    ...(options.archive ? { archive: options.archive } : {}),
  });
}

/** Pairs two running nodes as friends, the way `kith invite` / `kith accept` do. */
export async function pairInProcess(inviter: RunningNode, acceptor: RunningNode): Promise<void> {
  const invite = await inviter.pairing.createInvite({ role: 'friend' });
  await acceptor.pairing.acceptFriend(invite.code);
}
