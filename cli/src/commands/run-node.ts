import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { enrolDevice } from '@kith/core/identity/enrol';
import { createGenesis, verifyLog } from '@kith/core/identity/log';
import { generatePhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { writeFileAtomic } from '@kith/agent/keystore/atomic-write';
import { createKeystore, hasKeystore } from '@kith/agent/keystore/index';
import { join } from 'node:path';
import type { RunNodeOptions, RunningNode } from '@kith/agent/node';
import type { Output } from '../io.ts';
import { showPhrase } from './init.ts';

/**
 * Zero-config start (DESIGN §1): a data dir without an identity gets one, as `kith init` would,
 * and its phrase is shown once.
 */
export async function ensureIdentity(dataDir: string, out: Output): Promise<void> {
  if (await hasKeystore(dataDir)) return;
  const random = (n: number) => new Uint8Array(randomBytes(n));
  const phrase = generatePhrase(random);
  const seed = phraseToSeed(phrase);
  const root = deriveRootKeys(seed);
  const device = deriveDeviceKeys(seed, 0);
  const log = enrolDevice(verifyLog([createGenesis(root)]), root, device, {
    deviceName: hostname().slice(0, 64),
    now: Date.now(),
  });
  await createKeystore({ dataDir, userId: root.userId, device, logEntries: log.entries });
  out.note(`No identity in ${dataDir}: created user ${root.userId}.`);
  if (process.stderr.isTTY) {
    showPhrase(out, phrase);
    return;
  }
  // No terminal (a service, a container): the phrase must not go to a log. It is written once,
  // 0600, beside the keys; the user moves it to paper and deletes the file.
  const file = join(dataDir, 'seed-phrase.txt');
  await writeFileAtomic(file, `${phrase}\n`, 0o600);
  out.note(`Your seed phrase was written to ${file} (mode 0600): copy it to paper, then delete the file.`);
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
