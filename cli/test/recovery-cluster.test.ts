/**
 * Recovery from the phrase with a friend's invite, end to end (issue #5 item 5; docs/DESIGN.md §4, §5,
 * §12): A (`kith init`, plus a second own device enrolled from the phrase) and B are friends on
 * `kith up` processes; A's conversation with B is archived as history (2-of-3: A's two devices
 * and the recovery key), held by B. Both of A's machines are destroyed. On a fresh data dir,
 * `kith recover --phrase-file F --invite CODE_FROM_B --revoke …` enrols a new device on B's copy
 * of A's log; after `kith up` B lists A online with the new device, messages go both ways, no
 * node saw a fork, and the new device reads A's history back from B's relay with the phrase.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClusterDatabases,
  clusterDatabaseKind,
  type KithNode,
  type PeerJson,
  waitFor,
} from '../../test/helpers/cluster.ts';
import { makeTempDir } from '../../test/helpers/database.ts';
import { runKith } from '../../test/helpers/kith-cli.ts';

const HEARTBEAT_MS = 400;

interface Ids {
  userId: string;
  deviceId: string;
}
interface MessageJson {
  from: string;
  text: string;
}
interface HistoryJson {
  id: string;
  topic: string;
  conversation: string | null;
  messages: number;
}
interface SyncJson {
  failed: { topic: string; code: string }[];
  historyIndex: { version: number; entries: number } | null;
}
interface TranscriptJson {
  archive: 'current' | 'history';
  conversation: string;
  messages: { from: string; text: string }[];
}

describe.each(clusterDatabaseKind())('kith recover --invite on %s (real processes)', (kind) => {
  const databases = new ClusterDatabases(kind);
  const nodes: KithNode[] = [];
  let dir: string;
  let phraseFile: string;
  let a: KithNode;
  let b: KithNode;
  let idsA: Ids;
  let idsB: Ids;
  let appliance: Ids;
  let historyId: string;
  let conversation: string;

  beforeAll(async () => {
    dir = await makeTempDir(`kith-recover-${kind}-`);
    phraseFile = join(dir, 'phrase-a');
    a = await databases.node(join(dir, 'a'), '127.0.0.71', HEARTBEAT_MS);
    b = await databases.node(join(dir, 'b'), '127.0.0.72', HEARTBEAT_MS);
    nodes.push(a, b);
    const ia = await runKith([
      'init',
      '--data',
      a.dataDir,
      '--name',
      'Ana',
      '--phrase-file',
      phraseFile,
      '--json',
    ]);
    const ib = await runKith(['init', '--data', b.dataDir, '--name', 'Ben', '--json']);
    expect(ia.code, ia.stderr).toBe(0);
    expect(ib.code, ib.stderr).toBe(0);
    idsA = ia.json as Ids;
    idsB = ib.json as Ids;
    // Past the history age at once (injected: 0 days), so A's conversation goes to history.
    await Promise.all([a.start({ env: { KITH_ARCHIVE_HISTORY_AFTER_DAYS: '0' } }), b.start()]);
    // A's second device (say an appliance), enrolled from the phrase; it never runs here, its
    // key is what history needs as device Y.
    const deviceInvite = await a.cli<{ code: string }>('invite', '--device', '--phrase-file', phraseFile);
    const enrolled = await runKith(['accept', deviceInvite.code, '--data', join(dir, 'appliance'), '--json']);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    appliance = enrolled.json as Ids;
    const invite = await b.cli<{ code: string }>('invite');
    await a.cli('accept', invite.code);
    await waitFor('A and B are friends and online', async () =>
      (await b.api<{ userId: string; online: boolean }[]>('/friends')).some(
        (f) => f.userId === idsA.userId && f.online,
      ),
    );
    conversation = (await a.cli<{ conversation: string }>('send', '--to', idsB.userId, 'before the loss'))
      .conversation;
    await waitFor('B has A’s first message', async () =>
      (await b.api<MessageJson[]>('/messages')).some((m) => m.text === 'before the loss'),
    );
    await b.cli('send', '--to', idsA.userId, 'still here');
    await waitFor('A has B’s answer', async () =>
      (await a.api<MessageJson[]>('/messages')).some((m) => m.text === 'still here'),
    );
    // The archivist may have moved it already by itself; either way it is in history now.
    expect(await a.cli('archive', 'sync')).toMatchObject({ failed: [] });
    const history = await a.cli<HistoryJson[]>('archive', 'history');
    expect(history).toEqual([expect.objectContaining({ conversation, messages: 2 })]);
    historyId = history[0]!.id;
    // The appliance is not running: B, the friend online, holds the copy.
    const status = await runKith([
      'archive',
      'status',
      '--wait',
      '--timeout',
      '60',
      '--data',
      a.dataDir,
      '--json',
    ]);
    expect(status.code, status.stderr).toBe(0);
    const holders = (status.json as { holders: { deviceId: string; held: number }[] }).holders;
    expect(holders.find((h) => h.deviceId === idsB.deviceId)?.held).toBeGreaterThanOrEqual(1);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await databases.dispose();
  });

  it('recovers on a fresh data dir from B’s invite; B knows the new device at once; messages both ways; no fork; history from B’s relay', async () => {
    // Both of A's machines are destroyed: process and data dirs gone.
    await a.kill();
    await rm(a.dataDir, { recursive: true, force: true });
    await rm(join(dir, 'appliance'), { recursive: true, force: true });

    const invite = await b.cli<{ id: string; code: string }>('invite');
    const fresh = await databases.node(join(dir, 'a-new'), '127.0.0.73', HEARTBEAT_MS);
    nodes.push(fresh);
    const res = await runKith([
      'recover',
      '--data',
      fresh.dataDir,
      '--phrase-file',
      phraseFile,
      '--invite',
      invite.code,
      '--revoke',
      idsA.deviceId,
      '--revoke',
      appliance.deviceId,
      '--device-name',
      'new laptop',
      '--json',
    ]);
    expect(res.code, res.stderr).toBe(0);
    const r = res.json as Ids & {
      deviceIndex: number;
      revoked: string[];
      sas: string;
      friend: { userId: string; deviceId: string };
    };
    expect(r.userId).toBe(idsA.userId);
    expect(r.deviceIndex).toBe(2);
    expect(r.revoked).toEqual([idsA.deviceId, appliance.deviceId]);
    expect(r.friend).toEqual({ userId: idsB.userId, name: 'Ben', deviceId: idsB.deviceId });
    // B's side shows the same short authentication string, marked as a recovery
    const status = await b.api<{
      used: boolean;
      result: { sas: string; deviceId: string; recovery?: boolean };
    }>(`/invites/${invite.id}`);
    expect(status.used).toBe(true);
    expect(status.result).toMatchObject({ sas: r.sas, deviceId: r.deviceId, recovery: true });
    // B already knows the new device (and the revocation) before it ever connects
    const before = await b.api<PeerJson[]>('/peers');
    expect(before.find((p) => p.deviceId === r.deviceId)?.status).toBe('active');
    expect(before.find((p) => p.deviceId === idsA.deviceId)?.status).toBe('revoked');

    // The recovered identity: same user, this device, the lost one revoked
    const identity = await runKith(['identity', '--data', fresh.dataDir, '--json']);
    const shown = identity.json as {
      userId: string;
      deviceId: string;
      devices: { deviceId: string; status: string }[];
    };
    expect(shown.userId).toBe(idsA.userId);
    expect(shown.deviceId).toBe(r.deviceId);
    expect(shown.devices.map((d) => [d.deviceId, d.status])).toEqual([
      [idsA.deviceId, 'revoked'],
      [appliance.deviceId, 'revoked'],
      [r.deviceId, 'active'],
    ]);

    await fresh.start();
    await waitFor('B lists A online with the new device', async () => {
      const friends = await b.api<{ userId: string; online: boolean }[]>('/friends');
      const peers = await b.api<PeerJson[]>('/peers');
      return (
        friends.some((f) => f.userId === idsA.userId && f.online) &&
        peers.some((p) => p.deviceId === r.deviceId && p.online)
      );
    });
    const friendsOfA = await fresh.cli<{ userId: string; name: string | null }[]>('friends');
    expect(friendsOfA.map((f) => [f.userId, f.name])).toEqual([[idsB.userId, 'Ben']]);

    await fresh.cli('send', '--to', idsB.userId, 'back from the phrase');
    await waitFor('B has the recovered device’s message', async () =>
      (await b.api<MessageJson[]>('/messages')).some(
        (m) => m.text === 'back from the phrase' && m.from === idsA.userId,
      ),
    );
    await b.cli('send', '--to', idsA.userId, 'welcome back');
    await waitFor('the recovered device has B’s message', async () =>
      (await fresh.api<MessageJson[]>('/messages')).some(
        (m) => m.text === 'welcome back' && m.from === idsB.userId,
      ),
    );

    // A's history, read back from B's relay and opened here with the phrase (recovery key and
    // the phrase-derived keys of the lost devices): the sealed index first, then the item.
    // Until the phrase opens them, the lists the lost devices sealed are kept, never written over.
    const unadopted = await fresh.cli<SyncJson>('archive', 'sync');
    expect(unadopted.failed).toContainEqual({ topic: 'conversations', code: 'ARCHIVE_LIST_UNREADABLE' });
    expect(unadopted.historyIndex).toBeNull();
    const indexVersion = async () =>
      (await fresh.api<{ version: number }>('/archive/indexes/conversations')).version;
    const lostDevicesVersion = await indexVersion();
    const listed = await fresh.cli<HistoryJson[]>('archive', 'history', '--phrase-file', phraseFile);
    expect(listed).toEqual([expect.objectContaining({ id: historyId, messages: 2 })]);
    const got = await fresh.cli<TranscriptJson>('archive', 'get', historyId, '--phrase-file', phraseFile);
    expect(got).toMatchObject({ archive: 'history', conversation });
    expect(got.messages.map((m) => [m.from, m.text])).toEqual([
      [idsA.userId, 'before the loss'],
      [idsB.userId, 'still here'],
    ]);

    // Opened with the phrase, the lists are adopted: the next pass seals them to this device,
    // which then lists A's history without the phrase.
    await fresh.cli('archive', 'current', '--phrase-file', phraseFile);
    const after = await fresh.cli<SyncJson>('archive', 'sync');
    expect(after.failed.map((f) => f.code)).not.toContain('ARCHIVE_LIST_UNREADABLE');
    // Written by this pass or by one the messages had already started: either way only this
    // device writes A's index now, so a newer version is its re-seal.
    await waitFor(
      'the index re-sealed by this device',
      async () => (await indexVersion()) > lostDevicesVersion,
    );
    expect(await fresh.cli<HistoryJson[]>('archive', 'history')).toEqual([
      expect.objectContaining({ id: historyId, messages: 2 }),
    ]);

    // Neither side refused a log copy (no fork, no identity.fork)
    for (const node of [b, fresh]) {
      const log = await node.log();
      expect(log).not.toContain('LOG_FORK');
      expect(log).not.toContain('refused a log copy');
    }
  }, 240_000);
});
