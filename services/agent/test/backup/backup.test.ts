/**
 * Backup and restore (docs/ARCHITECTURE.md "Backup and restore") with real nodes in this
 * process: A and its friend B exchange messages and A stores an archive blob; A's running agent
 * writes a backup; A stops; the backup is restored into a fresh data dir and a fresh database;
 * the restored node is the same device with the same friends, messages and archive.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealedTestBlob } from '../../../../test/helpers/archive-blob.ts';
import { ClusterDatabases, waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir, testDatabaseKinds } from '../../../../test/helpers/database.ts';
import { pairInProcess, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import { restoreBackup } from '../../src/backup/backup.ts';
import { openDatabase } from '@kith/db/database';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';

const PASSPHRASE = 'correct horse battery staple';

interface MessageView {
  id: string;
  text: string;
}

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

async function* bytes(b: Uint8Array, piece = 7001): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += piece) yield b.subarray(i, i + piece);
}

describe.each(testDatabaseKinds())('backup and restore on %s', (kind) => {
  const databases = new ClusterDatabases(kind);
  let dir: string;
  let a: RunningNode;
  let b: RunningNode;
  let backup: Uint8Array;
  let before: {
    messages: string[];
    friends: string[];
    archiveItems: number;
    userId: string;
    deviceId: string;
  };

  beforeAll(async () => {
    dir = await makeTempDir('kith-backup-');
    [a, b] = await Promise.all([
      startInProcessNode(join(dir, 'a'), '127.0.0.2', { databaseUrl: await databases.urlFor('kith_backup') }),
      startInProcessNode(join(dir, 'b'), '127.0.0.3'),
    ]);
    await pairInProcess(a, b);
    await api(a, 'POST', '/messages', { to: b.node.userId, text: 'from A before the backup' });
    await api(b, 'POST', '/messages', { to: a.node.userId, text: 'from B before the backup' });
    await waitFor('both messages at A', async () => {
      const list = await api<MessageView[]>(a, 'GET', '/messages');
      return list.length >= 2 ? list : undefined;
    });
    // Holders keep only envelopes a device of the owner sealed (archive-sender.ts).
    const blob = await sealedTestBlob(a, 200_000);
    await api(a, 'POST', '/archive/blobs', { ciphertext: Buffer.from(blob).toString('base64') });
    const status = await api<{ items: number }>(a, 'GET', '/archive/status');
    before = {
      messages: (await api<MessageView[]>(a, 'GET', '/messages')).map((m) => m.text).sort(),
      friends: (await api<{ userId: string }[]>(a, 'GET', '/friends')).map((f) => f.userId),
      archiveItems: status.items,
      userId: a.node.userId,
      deviceId: a.node.deviceId,
    };
    const r = await a.agent.api.inject({
      method: 'POST',
      url: '/api/backup',
      headers: { authorization: `Bearer ${a.agent.apiToken}` },
      payload: { passphrase: PASSPHRASE },
    });
    expect(r.statusCode).toBe(200);
    backup = new Uint8Array(r.rawPayload);
    await a.shutdown();
  }, 300_000);

  afterAll(async () => {
    await Promise.all([a?.shutdown(), b?.shutdown()]);
    await databases.dispose();
  });

  it('holds no plaintext: not the messages, not the key file', () => {
    const text = Buffer.from(backup).toString('latin1');
    expect(text.startsWith('{"format":"kith-backup","v":1,')).toBe(true);
    expect(text).not.toContain('before the backup');
    expect(text).not.toContain(before.userId);
  });

  it('a restored node is the same device, with its friends, messages and archive', async () => {
    const target = join(dir, 'restored');
    const databaseUrl = await databases.urlFor('kith_restored');
    const database = await openDatabase({ databaseUrl, dataDir: target });
    await database.migrate();
    const report = await restoreBackup(bytes(backup), { dataDir: target, database, passphrase: PASSPHRASE });
    await database.close();
    // The key file, the erasure keys (epoch keys not yet erased open only with them) and the log.
    expect(report).toMatchObject({ userId: before.userId, deviceId: before.deviceId, files: 3 });

    const restored = await runNode({
      flags: { data: target, host: '127.0.0.4', peerPort: '0', apiPort: '0', heartbeatMeanMs: '300' },
      env: { KITH_PORT_WINDOWS: 'off', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
      handleSignals: false,
      logger: createLogger({ level: 'silent' }),
    });
    try {
      expect(restored.node.userId).toBe(before.userId);
      expect(restored.node.deviceId).toBe(before.deviceId);
      expect((await api<{ userId: string }[]>(restored, 'GET', '/friends')).map((f) => f.userId)).toEqual(
        before.friends,
      );
      const messages = (await api<MessageView[]>(restored, 'GET', '/messages')).map((m) => m.text).sort();
      expect(messages).toEqual(before.messages);
      expect((await api<{ items: number }>(restored, 'GET', '/archive/status')).items).toBe(
        before.archiveItems,
      );
      // It still talks to B: a new message arrives there.
      await api(restored, 'POST', '/messages', { to: b.node.userId, text: 'from A after the restore' });
      await waitFor('B got the message sent after the restore', async () =>
        (await api<MessageView[]>(b, 'GET', '/messages')).some((m) => m.text === 'from A after the restore'),
      );
    } finally {
      await restored.shutdown();
    }
  }, 300_000);

  it('refuses a wrong passphrase, a file cut short, and an existing identity, changing nothing', async () => {
    const target = join(dir, 'refused');
    const database = await openDatabase({
      databaseUrl: await databases.urlFor('kith_refused'),
      dataDir: target,
    });
    try {
      await database.migrate();
      await expect(
        restoreBackup(bytes(backup), { dataDir: target, database, passphrase: 'wrong' }),
      ).rejects.toMatchObject({ code: 'BACKUP_BAD_PASSPHRASE' });
      await expect(
        restoreBackup(bytes(backup.subarray(0, backup.length - 100)), {
          dataDir: target,
          database,
          passphrase: PASSPHRASE,
        }),
      ).rejects.toMatchObject({ code: 'BACKUP_INVALID' });
      await expect(
        restoreBackup(bytes(new TextEncoder().encode('not a backup\n')), {
          dataDir: target,
          database,
          passphrase: PASSPHRASE,
        }),
      ).rejects.toMatchObject({ code: 'BACKUP_INVALID' });
      await mkdir(join(target, 'keys'), { recursive: true });
      await writeFile(join(target, 'keys', 'device.key'), 'someone else');
      await expect(
        restoreBackup(bytes(backup), { dataDir: target, database, passphrase: PASSPHRASE }),
      ).rejects.toMatchObject({ code: 'RESTORE_REFUSED' });
    } finally {
      await database.close();
    }
  }, 300_000);
});
