import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { KithError, isKithError } from '@kith/core/errors';
import type { Agent } from '@kith/agent/app';
import { createIdentity } from '@kith/agent/keystore/create-identity';
import { dataPaths, hasKeystore, writePendingPhrase } from '@kith/agent/keystore/index';
import { type ConfigFlags, parseConfig } from '@kith/agent/config';
import type { RunningAgent } from '@kith/agent/main';
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
  // Setup mode: the node starts without one and waits for its owner in the web UI (runNode).
  if (config.setup === 'web') return;
  const passphrase = await readPassphrase(config.passphraseFile);
  const terminal = process.stderr.isTTY === true;
  const phraseOut = terminal ? undefined : config.phraseOut;
  const { phrase, userId, unlocked } = await createIdentity({
    dataDir,
    deviceName: hostname().slice(0, 64),
    passphrase,
    random: (n) => new Uint8Array(randomBytes(n)),
    // Written before the keys, so a refused file leaves no identity whose phrase nobody has.
    ...(phraseOut !== undefined ? { savePhrase: (p: string) => writePhraseOut(phraseOut, p) } : {}),
  });
  out.note(
    `No identity in ${dataDir}: created user ${userId}` +
      (passphrase !== undefined ? ', keys protected by the unlock passphrase.' : '.'),
  );
  if (terminal) {
    showPhrase(out, phrase!);
  } else if (phraseOut !== undefined) {
    out.note(
      `Your seed phrase was written to ${phraseOut} (mode 0600): copy it to paper, then delete the file.`,
    );
  } else {
    // No terminal, no chosen file: never a log. It waits, sealed, until shown once.
    await writePendingPhrase(dataDir, unlocked, phrase!);
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

/** What the web part needs of a running agent: where its API is and its token. */
export type WebAgent = Pick<RunningAgent, 'config'> & { agent: Pick<Agent, 'apiUrl' | 'apiToken'> };

export async function runUntilStopped(
  options: RunNodeOptions,
  out: Output,
  withWeb?: (running: WebAgent) => Promise<{ close(): Promise<void> } | undefined>,
): Promise<void> {
  // Imported here: loading the agent (fastify, the database drivers) is most of a start.
  const { runNode } = await import('@kith/agent/node');
  let web: { close(): Promise<void> } | undefined;
  let webStarted = false;
  let running: RunningNode;
  try {
    running = await runNode({
      ...options,
      // Setup mode: the web part starts beside the waiting agent (same API URL and token after).
      async onPrelude(agent) {
        webStarted = true;
        web = withWeb ? await withWeb({ config: agent.config, agent }) : undefined;
        out.note(
          'kith: no identity yet — waiting for you in the web UI: create one, enrol this node as one of your ' +
            'devices (a device invite), or recover with your phrase and a friend’s invite.',
        );
      },
    });
  } catch (e) {
    await web?.close();
    if (isKithError(e) && e.code === 'SETUP_STOPPED') {
      out.note('kith: stopped before setup; nothing was written.');
      return;
    }
    throw e;
  }
  // The web part starts before the "running" line, so whoever waits for that line finds it up.
  if (!webStarted) web = withWeb ? await withWeb(running) : undefined;
  out.note(
    `kith: running as ${running.node.userId} / ${running.node.deviceId}\n` +
      `      peer port ${running.node.port}, local API ${running.agent.apiUrl}. Stop with Ctrl-C.`,
  );
  await running.closed;
  await web?.close();
}
