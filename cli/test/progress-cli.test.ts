/**
 * Progress for long work (issue #14): `kith restore`, `kith archive sync` and `kith archive status
 * --wait` draw a progress line on stderr when it is a terminal (a pty from `script`), and print nothing extra with --json or
 * without a terminal. Real `kith` processes against in-process nodes.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/cluster.ts';
import { sealedTestBlob } from '../../test/helpers/archive-blob.ts';
import { makeTempDir } from '../../test/helpers/database.ts';
import { pairInProcess, startInProcessNode } from '../../test/helpers/in-process-node.ts';
import { kithOnTerminal as kithOnTerminalShared, runKith } from '../../test/helpers/kith-cli.ts';
import type { RunningNode } from '../../services/agent/src/node.ts';

const PASSPHRASE = 'a backup passphrase for the progress test';

/** `kith ARGS` on a terminal, without the machine's database. */
const kithOnTerminal = (args: string[]) => kithOnTerminalShared(args, { env: { DATABASE_URL: '' } });

async function api<T>(node: RunningNode, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<T> {
  const r = await node.agent.api.inject({
    method,
    url: `/api${url}`,
    headers: { authorization: `Bearer ${node.agent.apiToken}` },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json() as T;
}

describe('progress on a terminal, nothing extra elsewhere (real processes)', () => {
  let dir: string;
  let a: RunningNode;
  let b: RunningNode;
  let backupFile: string;
  let bStopped = false;
  let passphraseFile: string;

  beforeAll(async () => {
    dir = await makeTempDir('kith-progress-');
    [a, b] = await Promise.all([
      startInProcessNode(join(dir, 'a'), '127.0.0.121', { heartbeatMeanMs: 2000 }),
      startInProcessNode(join(dir, 'b'), '127.0.0.122', { heartbeatMeanMs: 2000 }),
    ]);
    await pairInProcess(a, b);
    await api(a, 'POST', '/messages', { to: b.node.userId, text: 'a conversation to archive' });
    await waitFor('A has its message', async () => (await api<unknown[]>(a, 'GET', '/messages')).length > 0);
    const r = await a.agent.api.inject({
      method: 'POST',
      url: '/api/backup',
      headers: { authorization: `Bearer ${a.agent.apiToken}` },
      payload: { passphrase: PASSPHRASE },
    });
    expect(r.statusCode).toBe(200);
    backupFile = join(dir, 'a.kith-backup');
    await writeFile(backupFile, r.rawPayload);
    passphraseFile = join(dir, 'passphrase');
    await writeFile(passphraseFile, PASSPHRASE);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([a?.shutdown(), bStopped ? undefined : b?.shutdown()]);
  });

  it('kith archive sync counts conversations on a terminal; --json and a pipe get the result only', async () => {
    const shown = await kithOnTerminal(['archive', 'sync', '--data', a.config.dataDir]);
    expect(shown.code, shown.output).toBe(0);
    expect(shown.output).toContain('Archiving every conversation…');
    expect(shown.output).toMatch(/Archiving: (\d+) of \1 conversations done\./);
    expect(shown.output).toMatch(/\d+ conversations?: /);

    const json = await kithOnTerminal(['archive', 'sync', '--data', a.config.dataDir, '--json']);
    expect(json.code, json.output).toBe(0);
    expect(json.output).not.toContain('Archiving');
    expect(JSON.parse(json.output.replace(/\r/g, ''))).toHaveProperty('conversations');

    const piped = await runKith(['archive', 'sync', '--data', a.config.dataDir]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toBe('');
  }, 180_000);

  it('kith restore shows how much of the file went in, on a terminal only', async () => {
    const shown = await kithOnTerminal([
      'restore',
      backupFile,
      '--passphrase-file',
      passphraseFile,
      '--data',
      join(dir, 'restored-tty'),
    ]);
    expect(shown.code, shown.output).toBe(0);
    expect(shown.output).toMatch(/Restoring: .* of .* \(100%\)/);
    expect(shown.output).toContain(`Restored ${a.node.userId}`);

    const json = await kithOnTerminal([
      'restore',
      backupFile,
      '--passphrase-file',
      passphraseFile,
      '--data',
      join(dir, 'restored-json'),
      '--json',
    ]);
    expect(json.code, json.output).toBe(0);
    expect(json.output).not.toContain('Restoring');
    expect(JSON.parse(json.output.replace(/\r/g, ''))).toMatchObject({ userId: a.node.userId });

    const piped = await runKith(
      ['restore', backupFile, '--passphrase-file', passphraseFile, '--data', join(dir, 'restored-pipe')],
      { env: { DATABASE_URL: '' } },
    );
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).not.toContain('Restoring');
  }, 300_000);

  it('kith archive status --wait draws the repair bar on a terminal, and says why when no holder comes', async () => {
    // The only friend goes away; a new item then has no second holder.
    await b.shutdown();
    bStopped = true;
    const file = join(dir, 'item.bin');
    await writeFile(file, await sealedTestBlob(a, 2048));
    const put = await runKith(['archive', 'put', file, '--data', a.config.dataDir, '--json'], {
      env: { DATABASE_URL: '' },
    });
    expect(put.code, put.stderr).toBe(0);
    await waitFor(
      'the new item is under-replicated',
      async () => (await api<{ underReplicated: number }>(a, 'GET', '/archive/status')).underReplicated > 0,
      90_000,
    );
    const shown = await kithOnTerminal([
      'archive',
      'status',
      '--wait',
      '--timeout',
      '3',
      '--data',
      a.config.dataDir,
    ]);
    expect(shown.code).toBe(1);
    expect(shown.output).toMatch(/\rRepair \[[#.]+\] \d+ of \d+ repaired/);
    expect(shown.output).toContain('ARCHIVE_NO_HOLDER');
    expect(shown.output).toContain('still under-replicated');

    const piped = await runKith(
      ['archive', 'status', '--wait', '--timeout', '2', '--data', a.config.dataDir],
      {
        env: { DATABASE_URL: '' },
      },
    );
    expect(piped.code).toBe(1);
    expect(piped.stderr).not.toContain('\r');
  }, 180_000);
});
