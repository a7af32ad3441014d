/**
 * Archive replication end to end (DESIGN §1 "resilient data", §7): three `kith up` processes,
 * A's phone, A's appliance (an own device enrolled from A's phrase) and B's phone (a friend).
 * A's items go to its own appliance first; when the appliance stays away past the grace period
 * the repair loop copies them to B, and `kith archive status` shows nothing under-replicated.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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
    const phrase = join(dir, 'phrase-a.txt');
    expect(
      (await runKith(['init', '--data', phone.dataDir, '--name', 'Ana', '--phrase-file', phrase])).code,
    ).toBe(0);
    expect((await runKith(['init', '--data', friend.dataDir, '--name', 'Ben'])).code).toBe(0);
    await Promise.all([phone.start(), friend.start()]);
    const invite = await phone.cli<{ code: string }>('invite');
    await friend.cli('accept', invite.code);
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
    await writeFile(file, Buffer.from('not really ciphertext, but the archive cannot tell'.repeat(40)));
    const put = await phone.cli<{ id: string; size: number; sentTo: string[] }>('archive', 'put', file);
    expect(put.sentTo).toEqual([ids.appliance]);
    const status = await waitFor('two copies', async () => {
      const s = await phone.cli<StatusJson>('archive', 'status');
      return s.underReplicated === 0 && s.copies['2'] === 1 ? s : undefined;
    });
    expect(status).toMatchObject({ items: 1, bytes: put.size });
    expect(status.holders.find((h) => h.deviceId === ids.appliance)?.held).toBe(1);
    const atAppliance = await appliance.cli<StatusJson>('archive', 'status');
    expect(atAppliance.heldForOthers.items).toBe(1);
  }, 120_000);

  it('with the appliance gone past the grace period, repair copies to the friend: underReplicated 0', async () => {
    await appliance.stop();
    await waitFor(
      'the phone sees the appliance offline',
      async () => !(await onlineIds(phone)).includes(ids.appliance!),
    );
    const lost = await waitFor(
      'the appliance counted lost',
      async () => {
        const s = await phone.cli<StatusJson>('archive', 'status');
        return s.holders.find((h) => h.deviceId === ids.appliance)?.lost === 1 ? s : undefined;
      },
      90_000,
      1000,
    );
    expect(lost.items).toBe(1);
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
    expect(s.copies).toEqual({ '2': 1 });
    expect(s.holders.find((h) => h.deviceId === ids.friend)).toMatchObject({ held: 1 });
    const atFriend = await friend.cli<StatusJson>('archive', 'status');
    expect(atFriend.heldForOthers.items).toBe(1);
    // Human output names the state in words.
    const human = await runKith(['archive', 'status', '--data', phone.dataDir]);
    expect(human.stdout).toContain('Every item has enough copies.');
  }, 180_000);
});
