/**
 * The archive restore run (archive/archive-restore.ts; `POST|GET /api/archive/restore-run`), on
 * one in-process node: a phrase that is not this user's is refused before anything runs (with
 * or without the right BIP39 passphrase); a run without the phrase and one with it end with a
 * report; its events carry counts, never the phrase. A restore that brings conversations and
 * friends back is shown end to end by cli/test/recovery*-cluster.test.ts (`kith archive
 * restore`) and test/browser/recover-archive.browser.test.ts (the web UI).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { generatePhrase, phraseToSeed } from '@kith/core/identity/phrase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import type { AgentEvent } from '../../src/event-bus.ts';
import type { RunningNode } from '../../src/node.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));

interface Run {
  running: boolean;
  byPhrase: boolean;
  stage: string;
  report: { items: number; conversations: number; added: number; failed: unknown[] } | null;
  error: { code: string; message: string } | null;
}

describe('archive restore run', () => {
  const bip39 = 'the twenty-fifth word';
  const phrase = generatePhrase(random);
  let node: RunningNode;
  const events: AgentEvent[] = [];

  const call = async (method: 'GET' | 'POST', body?: unknown) => {
    const r = await node.agent.api.inject({
      method,
      url: '/api/archive/restore-run',
      headers: { authorization: `Bearer ${node.agent.apiToken}` },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
    return { status: r.statusCode, json: r.json() as Run & { error: { code: string; message: string } } };
  };

  /** The run's end (it answers at once and goes on in the background). */
  const ended = async (): Promise<Run> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { json } = await call('GET');
      if (!json.running) return json;
      if (Date.now() > deadline) throw new Error(`the restore still runs: ${JSON.stringify(json)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    const dir = await makeTempDir('kith-archive-restore-');
    node = await startInProcessNode(join(dir, 'a'), '127.0.0.1', {
      heartbeatMeanMs: 1000,
      seed: phraseToSeed(phrase, bip39),
    });
    node.agent.events.subscribe((e) => events.push(e));
  }, 120_000);

  afterAll(async () => {
    await node?.shutdown();
  });

  it('answers idle before any run', async () => {
    const { status, json } = await call('GET');
    expect(status).toBe(200);
    expect(json).toMatchObject({ running: false, stage: 'idle', report: null, error: null });
  });

  it('refuses another user’s phrase, and the right words without the BIP39 passphrase, before running', async () => {
    const other = await call('POST', { phrase: generatePhrase(random) });
    expect(other.status).toBe(400);
    expect(other.json.error.code).toBe('PHRASE_INVALID');
    const noPassphrase = await call('POST', { phrase });
    expect(noPassphrase.json.error.code).toBe('PHRASE_INVALID');
    const words = await call('POST', { phrase: 'not a phrase at all' });
    expect(words.json.error.code).toBe('PHRASE_INVALID');
    expect((await call('GET')).json.stage).toBe('idle');
    expect(events.filter((e) => e.type.startsWith('archive.restore.'))).toEqual([]);
  });

  it('runs without the phrase and with it; reports, and its events carry counts only', async () => {
    const plain = await call('POST', {});
    expect(plain.status).toBe(200);
    expect(plain.json.byPhrase).toBe(false);
    expect(await ended()).toMatchObject({
      stage: 'done',
      byPhrase: false,
      report: { items: 0, conversations: 0, added: 0, failed: [] },
      error: null,
    });

    const withPhrase = await call('POST', { phrase: ` ${phrase}\n`, bip39Passphrase: bip39 });
    expect(withPhrase.status).toBe(200);
    expect(withPhrase.json).toMatchObject({ running: true, byPhrase: true });
    expect(await ended()).toMatchObject({
      stage: 'done',
      byPhrase: true,
      report: { items: 0, conversations: 0, added: 0, failed: [] },
    });
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'archive.restore.done')).toHaveLength(2);
    expect(types).toContain('archive.restore.progress');
    const published = JSON.stringify(events);
    for (const word of phrase.split(' ')) expect(published).not.toContain(` ${word} `);
    expect(published).not.toContain(bip39);
  });
});
