/**
 * The archive end to end (docs/DESIGN.md §1 "resilient data", §5, §7; issue #5 base case): three
 * `kith up` processes, A's phone, A's appliance (an own device enrolled from A's phrase) and
 * B's phone (a friend). A's items go to its own appliance first. Messages A<->B are archived as
 * current (opened with B's re-wrapped share), then — the history age injected as 0 days — move
 * to history (2-of-3: phone, appliance, recovery key). With B's phone down, A's own devices
 * still read everything (each other's share; their own copies of the texts). The appliance is
 * destroyed: the phone still reads every history item (with the phrase), the repair loop copies
 * everything to B once the grace period passes, and `kith archive status` shows nothing
 * under-replicated.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sealEnvelope } from '@kith/core/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unlock } from '../../services/agent/src/keystore/index.ts';
import {
  pairAndConfirm,
  ClusterDatabases,
  clusterDatabaseKind,
  type KithNode,
  type PeerJson,
  waitFor,
} from '../helpers/cluster.ts';
import { makeTempDir } from '../helpers/database.ts';
import { runKith } from '../helpers/kith-cli.ts';

// Grace period = 40 heartbeats (16 s here), repair every 2 heartbeats (at least 1 s).
const HEARTBEAT_MS = 400;

interface SyncJson {
  conversations: number;
  sealedCurrent: number;
  movedToHistory: number;
  failed: unknown[];
}

interface HistoryJson {
  id: string;
  topic: string;
  conversation: string | null;
  messages: number;
}

interface TranscriptJson {
  archive: 'current' | 'history';
  conversation: string;
  kind: string;
  messages: { text: string }[];
}

interface StatusJson {
  items: number;
  bytes: number;
  copies: Record<string, number>;
  underReplicated: number;
  holders: { deviceId: string; held: number; lost: number; failed: number; self: boolean }[];
  heldForOthers: { items: number; bytes: number };
}

describe.each(clusterDatabaseKind())('archive cluster on %s', (kind) => {
  const nodes: KithNode[] = [];
  const databases = new ClusterDatabases(kind);
  let dir: string;
  let phone: KithNode;
  let appliance: KithNode;
  let friend: KithNode;
  const ids: Record<string, string> = {};
  let phrase: string;

  async function makeNode(name: string, host: string): Promise<KithNode> {
    const node = await databases.node(join(dir, name), host, HEARTBEAT_MS);
    nodes.push(node);
    return node;
  }
  const onlineIds = async (node: KithNode) =>
    (await node.api<PeerJson[]>('/peers')).filter((p) => p.online).map((p) => p.deviceId);
  const deviceOf = async (node: KithNode) => (await node.cli<{ deviceId: string }>('identity')).deviceId;

  beforeAll(async () => {
    dir = await makeTempDir(`kith-archive-${kind}-`);
    phone = await makeNode('phone', '127.0.0.2');
    friend = await makeNode('friend', '127.0.0.3');
    appliance = await makeNode('appliance', '127.0.0.4');
    phrase = join(dir, 'phrase-a.txt');
    expect(
      (await runKith(['init', '--data', phone.dataDir, '--name', 'Ana', '--phrase-file', phrase])).code,
    ).toBe(0);
    expect((await runKith(['init', '--data', friend.dataDir, '--name', 'Ben'])).code).toBe(0);
    await Promise.all([phone.start(), friend.start()]);
    await pairAndConfirm(phone, friend);
    const deviceInvite = await phone.cli<{ code: string }>('invite', '--device', '--phrase-file', phrase);
    const enrolled = await runKith(['accept', deviceInvite.code, '--data', appliance.dataDir, '--json']);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    await appliance.start();
    ids.phone = await deviceOf(phone);
    ids.friend = await deviceOf(friend);
    ids.appliance = await deviceOf(appliance);
    await waitFor(
      'the phone linked to its appliance and to the friend',
      async () => {
        const online = await onlineIds(phone);
        return online.includes(ids.appliance!) && online.includes(ids.friend!);
      },
      60_000,
    );
  }, 240_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await databases.dispose();
  }, 60_000);

  it('an item put on the phone is held by the phone and its own appliance first', async () => {
    const file = join(dir, 'item.bin');
    // Holders keep only envelopes an active device of the owner sealed (archive-sender.ts): the
    // test seals one with the phone's own keys, read from its data dir.
    const device = await unlock(phone.dataDir, undefined);
    const sealed = await sealEnvelope({
      kind: 'test',
      plaintext: new Uint8Array(randomBytes(2000)),
      recipients: [device.keys.agreement.publicKey],
      threshold: 1,
      sender: device.keys.signing,
      createdAt: Date.now(),
      random: (n) => new Uint8Array(randomBytes(n)),
    });
    await writeFile(file, sealed);
    const put = await phone.cli<{ id: string; size: number; sentTo: string[] }>('archive', 'put', file);
    expect(put.sentTo).toEqual([ids.appliance]);
    const status = await waitFor('two copies', async () => {
      const s = await phone.cli<StatusJson>('archive', 'status');
      return s.underReplicated === 0 && s.copies['2'] === 1 ? s : undefined;
    });
    expect(status).toMatchObject({ items: 1, bytes: put.size });
    expect(status.holders.find((h) => h.deviceId === ids.appliance)?.held).toBe(1);
    const atAppliance = await appliance.cli<StatusJson>('archive', 'status');
    expect(atAppliance.heldForOthers.items).toBeGreaterThanOrEqual(1);
  }, 120_000);

  // --- conversations in the archive (docs/ARCHITECTURE.md "Archive encryption and retrieval") ---

  let conversation: string;
  let historyId: string;

  it('messages A<->B are archived as current and opened with B’s re-wrapped share', async () => {
    // The local API directly where the CLI is not what is tested (each CLI run costs seconds).
    const userA = (await phone.api<{ userId: string }>('/identity')).userId;
    const userB = (await friend.api<{ userId: string }>('/identity')).userId;
    conversation = (
      await phone.apiPost<{ conversation: string }>('/messages', { to: userB, text: 'hello B' })
    ).conversation;
    await friend.apiPost('/messages', { to: userA, text: 'hello A' });
    await waitFor(
      'the phone has both messages',
      async () => (await phone.api<unknown[]>(`/messages?conversation=${conversation}`)).length === 2,
    );
    // The agent may have archived it already by itself (after the messages): either way it is there.
    const sync = await phone.cli<SyncJson>('archive', 'sync');
    expect(sync).toMatchObject({ conversations: 1, movedToHistory: 0, failed: [] });
    const got = await phone.cli<TranscriptJson>('archive', 'get', conversation);
    expect(got).toMatchObject({ archive: 'current', conversation, kind: 'direct' });
    expect(got.messages.map((m) => m.text)).toEqual(['hello B', 'hello A']);
    // The active list, opened in the CLI with the phrase's keys and B's share (the recovery path).
    const current = await appliance.cli<{ id: string; topic: string }[]>(
      'archive',
      'current',
      '--phrase-file',
      phrase,
    );
    expect(current.length).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('past the history age (injected: 0 days) the conversation moves to history on two own devices', async () => {
    await phone.stop();
    await phone.start({ env: { KITH_ARCHIVE_HISTORY_AFTER_DAYS: '0' } });
    await waitFor('the phone linked again', async () => {
      const online = await onlineIds(phone);
      return online.includes(ids.appliance!) && online.includes(ids.friend!);
    });
    const sync = await phone.cli<SyncJson>('archive', 'sync');
    expect(sync).toMatchObject({ movedToHistory: 1, failed: [] });
    const history = await phone.cli<HistoryJson[]>('archive', 'history');
    expect(history).toEqual([expect.objectContaining({ conversation, messages: 2 })]);
    historyId = history[0]!.id;
    const r = await runKith([
      'archive',
      'status',
      '--wait',
      '--timeout',
      '60',
      '--data',
      phone.dataDir,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect((r.json as StatusJson).underReplicated).toBe(0);
    // X (the phone) opens it with the appliance's (Y) share.
    const got = await phone.cli<TranscriptJson>('archive', 'get', historyId);
    expect(got).toMatchObject({ archive: 'history', conversation });
    expect(got.messages.map((m) => m.text)).toEqual(['hello B', 'hello A']);
    // The appliance has the sealed index too and, with the phrase alone, reads the item (as it
    // would with the phone destroyed).
    expect((await appliance.cli<HistoryJson[]>('archive', 'history')).map((h) => h.id)).toContain(historyId);
    // By conversation id: the CLI finds the item in the index it opens with the phrase.
    const byPhrase = await appliance.cli<TranscriptJson>(
      'archive',
      'get',
      conversation,
      '--phrase-file',
      phrase,
    );
    expect(byPhrase.messages.map((m) => m.text)).toEqual(['hello B', 'hello A']);
  }, 120_000);

  it('with B’s phone down, A’s own devices still read every message: history with each other’s share, the texts on each', async () => {
    await friend.stop();
    const got = await phone.cli<TranscriptJson>('archive', 'get', historyId);
    expect(got.messages.map((m) => m.text)).toEqual(['hello B', 'hello A']);
    for (const node of [phone, appliance]) {
      const texts = (await node.cli<{ text: string }[]>('messages', '--conversation', conversation)).map(
        (m) => m.text,
      );
      expect(texts).toEqual(expect.arrayContaining(['hello B', 'hello A']));
    }
    await friend.start();
    await waitFor('the friend linked again', async () => (await onlineIds(phone)).includes(ids.friend!));
  }, 90_000);

  it('with the appliance destroyed past the grace period, the phone reads history (phrase) and repair copies to the friend: underReplicated 0', async () => {
    await appliance.kill();
    await rm(appliance.dataDir, { recursive: true, force: true });
    const got = await phone.cli<TranscriptJson>('archive', 'get', historyId, '--phrase-file', phrase);
    expect(got.messages.map((m) => m.text)).toEqual(['hello B', 'hello A']);
    await waitFor(
      'the phone sees the appliance offline',
      async () => !(await onlineIds(phone)).includes(ids.appliance!),
    );
    const lost = await waitFor(
      'the appliance counted lost',
      async () => {
        const s = await phone.api<StatusJson>('/archive/status');
        return (s.holders.find((h) => h.deviceId === ids.appliance)?.lost ?? 0) > 0 ? s : undefined;
      },
      90_000,
      1000,
    );
    expect(lost.items).toBeGreaterThanOrEqual(3);
    const r = await runKith([
      'archive',
      'status',
      '--wait',
      '--timeout',
      '60',
      '--data',
      phone.dataDir,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = r.json as StatusJson;
    expect(s.underReplicated).toBe(0);
    expect(Object.keys(s.copies).every((copies) => Number(copies) >= 2)).toBe(true);
    expect(s.holders.find((h) => h.deviceId === ids.friend)?.held).toBe(s.items);
    const atFriend = await friend.api<StatusJson>('/archive/status');
    expect(atFriend.heldForOthers.items).toBeGreaterThanOrEqual(s.items);
    // Every message is still readable: with the phrase, from the copies left.
    const again = await phone.cli<TranscriptJson>('archive', 'get', historyId, '--phrase-file', phrase);
    expect(again.messages).toHaveLength(2);
    // Human output: the history lists the item, the status names the state in words.
    const listed = await runKith(['archive', 'history', '--data', phone.dataDir]);
    expect(listed.stdout).toContain(historyId);
    const human = await runKith(['archive', 'status', '--data', phone.dataDir]);
    expect(human.stdout).toContain('Every item has enough copies.');
  }, 180_000);
});
