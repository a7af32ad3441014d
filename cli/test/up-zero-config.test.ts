/**
 * Zero-config start (docs/DESIGN.md §1): `kith up` on an empty data dir creates an identity and runs.
 * Without a terminal the phrase waits sealed in DATA/pending-phrase (0600) until `kith phrase
 * --reveal` shows it once; it never goes to the log.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidMnemonic } from '@kith/core/identity/phrase';
import { afterAll, describe, expect, it } from 'vitest';
import { KithNode, nextPorts } from '../../test/helpers/cluster.ts';
import { makeTempDir } from '../../test/helpers/database.ts';

describe('kith up on an empty data dir', () => {
  let node: KithNode | undefined;
  afterAll(async () => {
    await node?.kill();
  });

  it('creates an identity, keeps the phrase out of the log, serves, and stops cleanly', async () => {
    const dir = await makeTempDir('kith-zero-');
    node = new KithNode({
      dataDir: join(dir, 'data'),
      host: '127.0.0.51',
      ...nextPorts(),
      heartbeatMeanMs: 1000,
    });
    await node.start();
    const pending = join(node.dataDir, 'pending-phrase');
    expect((await stat(pending)).mode & 0o777).toBe(0o600);
    await expect(stat(join(node.dataDir, 'seed-phrase.txt'))).rejects.toThrow();
    expect(await node.cli<{ pending: boolean }>('phrase')).toEqual({ pending: true });
    const { phrase } = await node.cli<{ phrase: string }>('phrase', '--reveal');
    expect(phrase.split(' ')).toHaveLength(24);
    expect(isValidMnemonic(phrase)).toBe(true);
    await expect(stat(pending)).rejects.toThrow();
    expect(await node.cli<{ pending: boolean }>('phrase')).toEqual({ pending: false });
    const status = await node.cli<{ userId: string; deviceId: string; peers: number }>('status');
    expect(status.peers).toBe(0);
    expect(await node.api<{ ok: boolean }>('/health')).toMatchObject({ ok: true });
    expect(await node.stop()).toBe(0);
    const log = await node.log();
    expect(log).toContain('pending-phrase');
    for (let i = 0; i + 2 < 24; i++)
      expect(log).not.toContain(
        phrase
          .split(' ')
          .slice(i, i + 3)
          .join(' '),
      );
  }, 120_000);
});
