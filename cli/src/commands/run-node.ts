import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { enrolDevice } from '@kith/core/identity/enrol';
import { createGenesis, verifyLog } from '@kith/core/identity/log';
import { generatePhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { writeFile } from 'node:fs/promises';
import { KithError } from '@kith/core/errors';
import { createKeystore, dataPaths, hasKeystore, writePendingPhrase } from '@kith/agent/keystore/index';
import { type ConfigFlags, parseConfig } from '@kith/agent/config';
import { type RunNodeOptions, readPassphrase, runNode } from '@kith/agent/node';
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
  'phrase-out': {
    kind: 'string',
    description: 'first start without a terminal: write the new seed phrase here, 0600 (KITH_PHRASE_OUT)',
  },
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
    phraseOut: s('phrase-out'),
  };
}

/**
 * Zero-config start (DESIGN §1): a data dir without an identity gets one, as `kith init` would,
 * its key file protected by the unlock passphrase when one is given. The phrase (the root key)
 * is never left beside the keys (docs/SECURITY.md "Keys at rest"): on a terminal it is shown
 * once; without one it goes to the `--phrase-out` file the person chose, or else waits sealed in
 * DATA/pending-phrase until shown once (web UI onboarding or `kith phrase --reveal`).
 */
export async function ensureIdentity(dataDir: string, out: Output, flags: ConfigFlags = {}): Promise<void> {
  if (await hasKeystore(dataDir)) return;
  const config = parseConfig({ env: process.env, flags: { ...flags, data: dataDir } });
  const passphrase = await readPassphrase(config.passphraseFile);
  const random = (n: number) => new Uint8Array(randomBytes(n));
  const phrase = generatePhrase(random);
  const seed = phraseToSeed(phrase);
  const root = deriveRootKeys(seed);
  const device = deriveDeviceKeys(seed, 0);
  const log = enrolDevice(verifyLog([createGenesis(root)]), root, device, {
    deviceName: hostname().slice(0, 64),
    now: Date.now(),
  });
  const terminal = process.stderr.isTTY === true;
  // Written before the keys, so a refused file leaves no identity whose phrase nobody has.
  if (!terminal && config.phraseOut !== undefined) await writePhraseOut(config.phraseOut, phrase);
  const unlocked = await createKeystore({
    dataDir,
    userId: root.userId,
    device,
    logEntries: log.entries,
    ...(passphrase !== undefined ? { passphrase } : {}),
  });
  out.note(
    `No identity in ${dataDir}: created user ${root.userId}` +
      (passphrase !== undefined ? ', keys protected by the unlock passphrase.' : '.'),
  );
  if (terminal) {
    showPhrase(out, phrase);
  } else if (config.phraseOut !== undefined) {
    out.note(
      `Your seed phrase was written to ${config.phraseOut} (mode 0600): copy it to paper, then delete the file.`,
    );
  } else {
    // No terminal, no chosen file: never a log. It waits, sealed, until shown once.
    await writePendingPhrase(dataDir, unlocked, phrase);
    out.note(
      `Your seed phrase waits, sealed, in ${dataPaths(dataDir).pendingPhrase} until it is shown once: ` +
        'open the web UI, or run `kith phrase --reveal`, and copy it to paper.',
    );
  }
}

async function writePhraseOut(path: string, phrase: string): Promise<void> {
  try {
    await writeFile(path, `${phrase}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KithError(
      'USAGE',
      code === 'EEXIST'
        ? `--phrase-out ${path} already exists: name a new file (it is never overwritten).`
        : `Cannot write the seed phrase to ${path} (${code ?? 'error'}): name a writable file with --phrase-out.`,
    );
  }
}

export async function runUntilStopped(options: RunNodeOptions, out: Output): Promise<void> {
  const running = await runNode(options);
  out.note(
    `kith: running as ${running.node.userId} / ${running.node.deviceId}\n` +
      `      peer port ${running.node.port}, local API ${running.agent.apiUrl}. Stop with Ctrl-C.`,
  );
  await running.closed;
}
