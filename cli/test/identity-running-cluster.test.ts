/**
 * `kith identity` while the agent runs (docs/DESIGN.md §12): a data directory whose key file has
 * a passphrase answers without it, from the running agent (as `kith status` does), and exports
 * the same log; once the agent has stopped, the key file must be unlocked again. A real `kith up`
 * process on the embedded database.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KithNode, nextPorts } from '../../test/helpers/cluster.ts';
import { makeTempDir } from '../../test/helpers/database.ts';
import { runKith } from '../../test/helpers/kith-cli.ts';

interface IdentityJson {
  userId: string;
  deviceId: string;
  devices: { deviceId: string; current: boolean; addedAt: string }[];
  error?: { code: string };
}

describe('kith identity with a passphrase-protected key file (real processes)', () => {
  let dir: string;
  let pass: string;
  let node: KithNode;
  let created: { userId: string; deviceId: string };

  beforeAll(async () => {
    dir = await makeTempDir('kith-identity-running-');
    pass = join(dir, 'pass.txt');
    await writeFile(pass, 'correct horse battery staple\n', { mode: 0o600 });
    const data = join(dir, 'a');
    const init = await runKith([
      'init',
      '--data',
      data,
      '--passphrase-file',
      pass,
      '--phrase-file',
      join(dir, 'phrase.txt'),
      '--json',
    ]);
    expect(init.code, init.stderr).toBe(0);
    created = init.json as typeof created;
    node = new KithNode({
      dataDir: data,
      host: '127.0.0.114',
      ...nextPorts(),
      heartbeatMeanMs: 2000,
      env: { KITH_PASSPHRASE_FILE: pass },
    });
    await node.start({ startTimeoutMs: 400_000 });
  }, 600_000);

  afterAll(async () => {
    await node?.kill();
  });

  it('answers from the running agent without the passphrase, and from the key file after it stops', async () => {
    const data = node.dataDir;
    const running = await runKith([
      'identity',
      '--data',
      data,
      '--export-log',
      join(dir, 'log-running.cbor'),
      '--json',
    ]);
    expect(running.code, running.stderr).toBe(0);
    const me = running.json as IdentityJson;
    expect(me).toMatchObject({ userId: created.userId, deviceId: created.deviceId });
    expect(me.devices).toEqual([
      expect.objectContaining({ deviceId: created.deviceId, current: true, addedAt: expect.any(String) }),
    ]);

    expect(await node.stop()).toBe(0);
    // Stopped: the key file is locked again, whether or not api.json was left behind.
    const locked = await runKith(['identity', '--data', data, '--json']);
    expect((locked.json as IdentityJson).error?.code).toBe('KEYSTORE_LOCKED');
    const offline = await runKith(
      ['identity', '--data', data, '--export-log', join(dir, 'log-offline.cbor'), '--json'],
      { env: { KITH_PASSPHRASE_FILE: pass } },
    );
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.json).toEqual(me);
    // The exported log is the same bytes either way (what `kith recover --log` reads).
    expect(await readFile(join(dir, 'log-running.cbor'))).toEqual(
      await readFile(join(dir, 'log-offline.cbor')),
    );
  }, 240_000);
});
