import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from '@kith/agent/keystore/atomic-write';
import { createIdentity } from '@kith/agent/keystore/create-identity';
import { hasKeystore } from '@kith/agent/keystore/index';
import { join } from 'node:path';
import type { ConfigFlags } from '@kith/agent/config';
import { type RunNodeOptions, runNode } from '@kith/agent/node';
import type { FlagSpecs, Parsed } from '../args.ts';
import type { Output } from '../io.ts';
import { showPhrase } from './init.ts';

/** Flags shared by `kith up` and `kith agent` (DESIGN §12); values are checked by the config schema. */
export const NODE_FLAGS: FlagSpecs = {
  host: { kind: 'string', description: 'address the peer port and web UI bind (KITH_HOST)' },
  'peer-port': { kind: 'string', description: 'peer port (KITH_PEER_PORT, default 7470)' },
  'api-port': { kind: 'string', description: 'local API port, loopback only (KITH_API_PORT, default 7471)' },
  'api-host': { kind: 'string', description: 'local API address, a loopback address (KITH_API_HOST)' },
  'web-port': { kind: 'string', description: 'web UI port (KITH_WEB_PORT, default 7480)' },
  'heartbeat-mean-ms': { kind: 'string', description: 'mean heartbeat interval (KITH_HEARTBEAT_MEAN_MS)' },
  'log-level': { kind: 'string', description: 'fatal…trace or silent (KITH_LOG_LEVEL)' },
  relay: { kind: 'string', description: 'on/off: hold friends’ ciphertext (KITH_RELAY)' },
  'passphrase-file': { kind: 'string', description: 'unlock passphrase file (KITH_PASSPHRASE_FILE)' },
};

export function nodeFlags(args: Parsed, dataDir: string): ConfigFlags {
  const s = (name: string) =>
    typeof args.flags[name] === 'string' ? (args.flags[name] as string) : undefined;
  return {
    data: dataDir,
    host: s('host'),
    peerPort: s('peer-port'),
    apiPort: s('api-port'),
    apiHost: s('api-host'),
    webPort: s('web-port'),
    heartbeatMeanMs: s('heartbeat-mean-ms'),
    logLevel: s('log-level'),
    relay: s('relay'),
    passphraseFile: s('passphrase-file'),
  };
}

/**
 * Zero-config start (DESIGN §1): a data dir without an identity gets one, as `kith init` would,
 * and its phrase is shown once.
 */
export async function ensureIdentity(dataDir: string, out: Output): Promise<void> {
  if (await hasKeystore(dataDir)) return;
  const { phrase, userId } = await createIdentity({
    dataDir,
    deviceName: hostname().slice(0, 64),
    random: (n: number) => new Uint8Array(randomBytes(n)),
  });
  out.note(`No identity in ${dataDir}: created user ${userId}.`);
  if (process.stderr.isTTY) {
    showPhrase(out, phrase!);
    return;
  }
  // No terminal (a service, a container): the phrase must not go to a log. It is written once,
  // 0600, beside the keys; the user moves it to paper and deletes the file.
  const file = join(dataDir, 'seed-phrase.txt');
  await writeFileAtomic(file, `${phrase}\n`, 0o600);
  out.note(`Your seed phrase was written to ${file} (mode 0600): copy it to paper, then delete the file.`);
}

export async function runUntilStopped(options: RunNodeOptions, out: Output): Promise<void> {
  const running = await runNode(options);
  out.note(
    `kith: running as ${running.node.userId} / ${running.node.deviceId}\n` +
      `      peer port ${running.node.port}, local API ${running.agent.apiUrl}. Stop with Ctrl-C.`,
  );
  await running.closed;
}
