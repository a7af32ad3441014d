/**
 * Network agent II, end to end (issue "Network agent II", point 6): three `kith up` processes
 * (A, B and their mutual friend N) exchange messages directly, through N while B is offline
 * (store-and-forward) and through N when A and B cannot reach each other; N's database and
 * logs hold no plaintext; restarting a node mid-stream loses nothing and duplicates nothing.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const HEARTBEAT_MS = 400;

interface MessageJson {
  id: string;
  from: string;
  text: string;
  conversation: string;
  delivered: string[];
  relayed: string[];
}

async function filesContain(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const name of await readdir(dir, { recursive: true })) {
    const path = join(dir, name);
    try {
      if ((await readFile(path)).includes(needle)) hits.push(name);
    } catch {}
  }
  return hits;
}

describe.each(clusterDatabaseKind())('messaging cluster on %s', (kind) => {
  const nodes: KithNode[] = [];
  let dir: string;
  const databases = new ClusterDatabases(kind);
  let a: KithNode;
  let b: KithNode;
  let n: KithNode;
  const ids: Record<string, { userId: string; deviceId: string }> = {};
  const MARK = `marker-${randomBytes(6).toString('hex')}`;

  async function makeNode(name: string, host: string): Promise<KithNode> {
    const node = await databases.node(join(dir, name), host, HEARTBEAT_MS);
    nodes.push(node);
    expect((await runKith(['init', '--data', node.dataDir, '--name', name])).code).toBe(0);
    ids[name] = (await runKith(['identity', '--data', node.dataDir, '--json'])).json as {
      userId: string;
      deviceId: string;
    };
    return node;
  }

  async function pair(x: KithNode, y: KithNode): Promise<void> {
    await pairAndConfirm(x, y);
  }

  const onlineIds = async (node: KithNode) =>
    (await node.api<PeerJson[]>('/peers')).filter((p) => p.online).map((p) => p.deviceId);
  const messagesOf = (node: KithNode) => node.api<MessageJson[]>('/messages');
  const received = async (node: KithNode, text: string) =>
    (await messagesOf(node)).filter((m) => m.text === text);

  beforeAll(async () => {
    dir = await makeTempDir(`kith-msg-${kind}-`);
    a = await makeNode('a', '127.0.0.2');
    b = await makeNode('b', '127.0.0.3');
    n = await makeNode('n', '127.0.0.4');
    await Promise.all([a.start(), b.start(), n.start()]);
    await pair(a, b);
    await pair(a, n);
    await pair(b, n);
    for (const [x, others] of [
      [a, ['b', 'n']],
      [b, ['a', 'n']],
      [n, ['a', 'b']],
    ] as const) {
      await waitFor('everyone linked', async () => {
        const online = await onlineIds(x);
        return others.every((o) => online.includes(ids[o]!.deviceId));
      });
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.all(nodes.map((x) => x.kill()));
    await databases.dispose();
  }, 60_000);

  it('A→B directly, with a delivered receipt', async () => {
    const text = `hello B ${MARK} direct`;
    const sent = await a.cli<{ id: string; conversation: string }>('send', '--to', ids.b!.userId, text);
    const got = await waitFor('B has it', async () => (await received(b, text))[0]);
    expect(got).toMatchObject({ id: sent.id, from: ids.a!.userId, conversation: sent.conversation });
    const mine = await waitFor('delivered receipt', async () =>
      (await received(a, text)).find((m) => m.delivered.includes(ids.b!.deviceId)),
    );
    expect(mine.id).toBe(sent.id);
    const listed = await b.cli<MessageJson[]>('messages', '--conversation', sent.conversation);
    expect(listed.map((m) => m.text)).toContain(text);
  }, 120_000);

  it('A→B while B is offline: held by N, delivered when B is back and A is gone', async () => {
    await b.stop();
    await waitFor('A sees B offline', async () => !(await onlineIds(a)).includes(ids.b!.deviceId));
    const text = `while you were away ${MARK}`;
    const sent = await a.cli<{ id: string }>('send', '--to', ids.b!.userId, text);
    await waitFor('N holds it for B', async () =>
      (await received(a, text)).find((m) => m.relayed.includes(ids.n!.deviceId)),
    );
    await a.stop();
    await b.start();
    const got = await waitFor('B receives it from N', async () => (await received(b, text))[0], 60_000);
    expect(got.id).toBe(sent.id);
    expect(await onlineIds(b)).not.toContain(ids.a!.deviceId);
  }, 180_000);

  it('A→B with no direct link, through N', async () => {
    await b.stop();
    // Both move while apart: neither knows the other's new address; both still know N's.
    await Promise.all([a.start({ host: '127.0.0.6' }), b.start({ host: '127.0.0.7' })]);
    for (const x of [a, b])
      await waitFor('linked to N', async () => (await onlineIds(x)).includes(ids.n!.deviceId));
    const text = `via our friend ${MARK}`;
    const sent = await a.cli<{ id: string }>('send', '--to', ids.b!.userId, text);
    const got = await waitFor('B receives it through N', async () => (await received(b, text))[0], 60_000);
    expect(got.id).toBe(sent.id);
    expect(await onlineIds(a)).not.toContain(ids.b!.deviceId);
    await waitFor('A learns it was delivered', async () =>
      (await received(a, text)).find((m) => m.delivered.includes(ids.b!.deviceId)),
    );
    // and back
    const reply = `reply ${MARK}`;
    await b.cli('send', '--to', ids.a!.userId, reply);
    await waitFor('A gets the reply', async () => (await received(a, reply))[0], 60_000);
  }, 180_000);

  it('restarting the relay mid-stream loses nothing and duplicates nothing', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `burst ${i} ${MARK}`);
    // Through the API (a CLI process per message would make this test slow, not stronger).
    const sending = (async () => {
      for (const t of texts) {
        await a.apiPost('/messages', { to: ids.b!.userId, text: t });
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    await waitFor(
      'some arrived',
      async () => (await messagesOf(b)).some((m) => m.text.startsWith('burst ')),
      60_000,
    );
    await n.kill();
    await n.start();
    await sending;
    await waitFor(
      'all arrived',
      async () => {
        const got = (await messagesOf(b)).filter((m) => m.text.startsWith('burst '));
        return got.length >= texts.length && got;
      },
      120_000,
      500,
    );
    const got = (await messagesOf(b)).filter((m) => m.text.startsWith('burst '));
    expect(got.map((m) => m.text).sort()).toEqual([...texts].sort());
    expect(new Set(got.map((m) => m.id)).size).toBe(texts.length);
  }, 300_000);

  it("the relay's database and logs hold no plaintext", async () => {
    await n.stop();
    expect(await filesContain(n.dataDir, MARK)).toEqual([]);
    if (kind === 'postgres') {
      const db = new URL(n.options.databaseUrl!).pathname.slice(1);
      const dump = execFileSync('pg_dump', ['-h', '127.0.0.1', '-U', 'postgres', '--data-only', db], {
        maxBuffer: 1 << 28,
      });
      expect(dump.includes(MARK)).toBe(false);
      expect(dump.length).toBeGreaterThan(1000);
    }
    // ...while the members can read it, so the marker really travelled
    expect((await messagesOf(b)).some((m) => m.text.includes(MARK))).toBe(true);
    await n.start();
  }, 120_000);
});
