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
import { type RunNodeOptions, type RunningNode, readPassphrase } from '@kith/agent/node';
import type { Output } from '../io.ts';
import { showPhrase } from './init.ts';

/**
 * Zero-config start (docs/DESIGN.md §1): a data dir without an identity gets one, as `kith init` would,
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

export async function runUntilStopped(
  options: RunNodeOptions,
  out: Output,
  withWeb?: (running: RunningNode) => Promise<{ close(): Promise<void> } | undefined>,
): Promise<void> {
  // Imported here: loading the agent (fastify, the database drivers) is most of a start.
  const { runNode } = await import('@kith/agent/node');
  const running = await runNode(options);
  // The web part starts before the "running" line, so whoever waits for that line finds it up.
  const web = withWeb ? await withWeb(running) : undefined;
  out.note(
    `kith: running as ${running.node.userId} / ${running.node.deviceId}\n` +
      `      peer port ${running.node.port}, local API ${running.agent.apiUrl}. Stop with Ctrl-C.`,
  );
  await running.closed;
  await web?.close();
}
