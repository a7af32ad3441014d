/**
 * First start on an empty data dir without a terminal (docs/SECURITY.md "Keys at rest"): the
 * unlock passphrase protects the new key file; the phrase (the root key) never lies beside the
 * keys in the clear: it goes to the --phrase-out file the person chose, or waits sealed in
 * DATA/pending-phrase until the agent's API shows it once. Runs `ensureIdentity` (what
 * `kith up` / `kith agent` run first) in this process and the real agent on real PGlite.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deriveRootKeys } from '@kith/core/identity/derive';
import { isValidMnemonic, phraseToSeed } from '@kith/core/identity/phrase';
import { isKithError } from '@kith/core/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/database.ts';
import { dataPaths, hasKeystore, readHeader, unlock } from '../../services/agent/src/keystore/index.ts';
import { createLogger } from '../../services/agent/src/logger.ts';
import { type RunningNode, runNode } from '../../services/agent/src/node.ts';
import { ensureIdentity } from '../src/commands/run-node.ts';
import type { Output } from '../src/io.ts';

function capture(): Output & { notes: string[] } {
  const notes: string[] = [];
  return { json: false, notes, result: (_v, human) => notes.push(human), note: (t) => notes.push(t) };
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

describe('first start without a terminal', () => {
  let node: RunningNode | undefined;
  afterAll(async () => {
    await node?.shutdown();
  });

  it('protects the keys with the passphrase and keeps the phrase sealed until shown once', async () => {
    expect(process.stderr.isTTY).not.toBe(true);
    const dir = await makeTempDir('kith-first-start-');
    const data = join(dir, 'data');
    const passFile = join(dir, 'pass');
    await writeFile(passFile, 'correct horse\n', { mode: 0o600 });
    const out = capture();
    await ensureIdentity(data, out, { passphraseFile: passFile });

    expect((await readHeader(data)).protection).toBe('passphrase');
    expect(await codeOf(unlock(data, undefined))).toBe('KEYSTORE_LOCKED');
    expect(await codeOf(unlock(data, 'wrong'))).toBe('KEYSTORE_BAD_PASSPHRASE');
    const device = await unlock(data, 'correct horse');

    const pending = dataPaths(data).pendingPhrase;
    expect((await stat(pending)).mode & 0o777).toBe(0o600);
    await expect(stat(join(data, 'seed-phrase.txt'))).rejects.toThrow();
    expect(out.notes.join('\n')).toContain(pending);

    // The agent shows it once through its API, then it is gone.
    node = await runNode({
      flags: { data, host: '127.0.0.81', peerPort: '0', apiPort: '0', passphraseFile: passFile },
      env: { KITH_PORT_WINDOWS: 'off' },
      handleSignals: false,
      logger: createLogger({ level: 'silent' }),
    });
    const api = node.agent.api;
    const auth = { authorization: `Bearer ${node.agent.apiToken}` };
    expect((await api.inject({ method: 'GET', url: '/api/identity/phrase' })).statusCode).toBe(401);
    expect((await api.inject({ method: 'GET', url: '/api/identity/phrase', headers: auth })).json()).toEqual({
      pending: true,
    });
    const reveal = await api.inject({ method: 'POST', url: '/api/identity/phrase/reveal', headers: auth });
    expect(reveal.statusCode).toBe(200);
    const phrase = (reveal.json() as { phrase: string }).phrase;
    expect(isValidMnemonic(phrase)).toBe(true);
    expect(deriveRootKeys(phraseToSeed(phrase)).userId).toBe(device.header.userId);
    // Nothing of it was in the notes (they may go to a log), nor in the sealed file. Single words
    // may be the note's own ("phrase", "sealed" are BIP39 words): no two of the phrase in a row.
    const words = phrase.split(' ');
    const notes = out.notes.join(' ');
    for (let i = 0; i + 1 < words.length; i++)
      expect(notes).not.toMatch(new RegExp(`\\b${words[i]}\\W+${words[i + 1]}\\b`));
    await expect(stat(pending)).rejects.toThrow();
    const again = await api.inject({ method: 'POST', url: '/api/identity/phrase/reveal', headers: auth });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('PHRASE_NOT_PENDING');
    expect((await api.inject({ method: 'GET', url: '/api/identity/phrase', headers: auth })).json()).toEqual({
      pending: false,
    });
  }, 300_000);

  it('writes the phrase to the --phrase-out file the person chose, never over an existing one', async () => {
    const dir = await makeTempDir('kith-phrase-out-');
    const data = join(dir, 'data');
    const target = join(dir, 'my-phrase.txt');
    await ensureIdentity(data, capture(), { phraseOut: target });
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    const phrase = (await readFile(target, 'utf8')).trim();
    expect(deriveRootKeys(phraseToSeed(phrase)).userId).toBe((await readHeader(data)).userId);
    await expect(stat(dataPaths(data).pendingPhrase)).rejects.toThrow();
    expect((await readHeader(data)).protection).toBe('none');
    // A passphrase for this unprotected key file is refused, not ignored.
    expect(await codeOf(unlock(data, 'anything'))).toBe('KEYSTORE_NOT_PROTECTED');

    // An existing file is never overwritten, and no identity is made without its phrase.
    const other = join(dir, 'other');
    expect(await codeOf(ensureIdentity(other, capture(), { phraseOut: target }))).toBe('USAGE');
    expect(await hasKeystore(other)).toBe(false);
    expect((await readFile(target, 'utf8')).trim()).toBe(phrase);
  }, 120_000);
});
