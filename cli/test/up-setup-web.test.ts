/**
 * `kith up --setup web` on an empty data dir (docs/DESIGN.md "Setup mode"): it makes no identity,
 * prints a web sign-in code and says it waits; stopped while waiting it exits cleanly with
 * nothing written. Setting it up through the page is test/browser/setup.browser.test.ts.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KithNode, nextPorts } from '../../test/helpers/cluster.ts';
import { makeTempDir } from '../../test/helpers/database.ts';

describe('kith up --setup web on an empty data dir', () => {
  let node: KithNode | undefined;
  afterAll(async () => {
    await node?.kill();
  });

  it('waits for its owner with a sign-in code, and a stop while waiting writes no identity', async () => {
    const dir = await makeTempDir('kith-setup-web-');
    node = new KithNode({
      dataDir: join(dir, 'data'),
      host: '127.0.0.52',
      ...nextPorts(),
      heartbeatMeanMs: 1000,
      args: ['--setup', 'web'],
      readyLine: 'waiting for you in the web UI',
    });
    await node.start();
    const log = await node.log();
    expect(log).toMatch(/#\/signin\/[0-9A-Z]{10}/);
    expect(log).not.toContain('created user');
    expect(await node.api<{ state: string }>('/setup')).toEqual({ state: 'waiting' });
    expect(await node.stop()).toBe(0);
    expect(await node.log()).toContain('stopped before setup; nothing was written');
    const files = await readdir(node.dataDir);
    expect(files).not.toContain('keys');
    expect(files).not.toContain('pending-phrase');
  }, 600_000);
});
