import { writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterDatabases, type KithNode, type PeerJson, waitFor } from '../helpers/cluster.ts';
import { makeTempDir, testDatabaseKinds } from '../helpers/database.ts';
import { runKith } from '../helpers/kith-cli.ts';

const HEARTBEAT_MS = 400;

describe.each(testDatabaseKinds())('cluster on %s', (kind) => {
  const nodes: KithNode[] = [];
  let dir: string;
  const databases = new ClusterDatabases(kind);
  let a: KithNode;
  let b: KithNode;
  let a2: KithNode;
  let phraseA: string;

  async function makeNode(name: string, host: string): Promise<KithNode> {
    const node = await databases.node(join(dir, name), host, HEARTBEAT_MS);
    nodes.push(node);
    return node;
  }

  // Polling goes through the API (a CLI process per poll is slow); the CLI's output is checked too.
  const peersOf = (n: KithNode) => n.api<PeerJson[]>('/peers');
  const onlineIds = async (n: KithNode) => (await peersOf(n)).filter((p) => p.online).map((p) => p.deviceId);

  beforeAll(async () => {
    dir = await makeTempDir(`kith-cluster-${kind}-`);
    a = await makeNode('a', '127.0.0.2');
    b = await makeNode('b', '127.0.0.3');
    a2 = await makeNode('a2', '127.0.0.4');
    phraseA = join(dir, 'phrase-a.txt');
    expect(
      (await runKith(['init', '--data', a.dataDir, '--name', 'Ana', '--phrase-file', phraseA])).code,
    ).toBe(0);
    expect(
      (await runKith(['init', '--data', b.dataDir, '--name', 'Ben', '--phrase-file', join(dir, 'phrase-b')]))
        .code,
    ).toBe(0);
    await Promise.all([a.start(), b.start()]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await databases.dispose();
  }, 60_000);

  it('A and B pair as friends from the command line; both show the same SAS and see each other online', async () => {
    const invite = await a.cli<{ id: string; code: string; expiresAt: string }>('invite');
    expect(invite.code).toMatch(/^KITH1-/);
    const accepted = await b.cli<{ userId: string; sas: string; state: string }>('accept', invite.code);
    const aId = (await a.cli<{ userId: string; deviceId: string }>('identity')).userId;
    const bId = (await b.cli<{ userId: string }>('identity')).userId;
    expect(accepted.userId).toBe(aId);
    expect(accepted.state).toBe('pending');
    const status = await a.api<{ used: boolean; result: { sas: string; userId: string } }>(
      `/invites/${invite.id}`,
    );
    expect(status.used).toBe(true);
    expect(status.result.sas).toBe(accepted.sas);
    // Both people say the six digits match; then the friendship is active on both sides.
    await b.cli('confirm', aId);
    await a.cli('confirm', bId);
    // Single use, said so even while B's agent dials A as a friend with the same key (its
    // regular hellos used to overtake the invite's and make it look replayed: PAIRING_FAILED).
    const again = await runKith(['accept', invite.code, '--data', b.dataDir, '--json']);
    expect(again.code).toBe(1);
    expect((again.json as { error: { code: string } }).error.code).toBe('INVITE_USED');

    const bDevice = (await b.cli<{ deviceId: string }>('identity')).deviceId;
    await waitFor('A sees B online', async () => (await onlineIds(a)).includes(bDevice));
    const aDevice = (await a.cli<{ deviceId: string }>('identity')).deviceId;
    await waitFor('B sees A online', async () => (await onlineIds(b)).includes(aDevice));
    expect((await b.cli<PeerJson[]>('peers')).find((p) => p.deviceId === aDevice)?.online).toBe(true);
    const friends = await b.cli<{ userId: string; name: string; online: boolean }[]>('friends');
    expect(friends).toEqual([expect.objectContaining({ userId: aId, name: 'Ana', online: true })]);
    // heartbeats measured the clock offset
    const peer = await waitFor('a clock offset', async () =>
      (await peersOf(a)).find((p) => p.clockOffsetMs !== null),
    );
    expect(Math.abs(peer.clockOffsetMs!)).toBeLessThan(1000);
  }, 300_000);

  it('a garbled or expired invite gets a clear error', async () => {
    const bad = await runKith(['accept', 'KITH1-0000-1111', '--data', b.dataDir, '--json']);
    expect(bad.code).toBe(1);
    // Too short to be a whole code: said so, rather than "characters that do not belong".
    expect((bad.json as { error: { code: string } }).error.code).toBe('INVITE_INCOMPLETE');
    const garbled = await runKith(['accept', `KITH1-${'!'.repeat(60)}`, '--data', b.dataDir, '--json']);
    expect(garbled.code).toBe(1);
    expect((garbled.json as { error: { code: string } }).error.code).toBe('INVITE_INVALID');
  }, 180_000);

  it('A enrols its own device A2 from the phrase; A2 links to A and to friend B', async () => {
    const invite = await a.cli<{ code: string }>('invite', '--device', '--phrase-file', phraseA);
    const enrolled = await runKith(['accept', invite.code, '--data', a2.dataDir, '--json']);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const me = enrolled.json as { userId: string; deviceId: string; sas: string };
    const aIdentity = await a.cli<{ userId: string; devices: { deviceId: string; status: string }[] }>(
      'identity',
    );
    expect(me.userId).toBe(aIdentity.userId);
    expect(aIdentity.devices.map((d) => d.deviceId)).toContain(me.deviceId);
    await a2.start();
    const a2Identity = await a2.cli<{ userId: string; deviceId: string }>('identity');
    expect(a2Identity).toMatchObject({ userId: aIdentity.userId, deviceId: me.deviceId });
    const aDevice = (await a.cli<{ deviceId: string }>('identity')).deviceId;
    const bDevice = (await b.cli<{ deviceId: string }>('identity')).deviceId;
    await waitFor('A2 sees A and B', async () => {
      const ids = await onlineIds(a2);
      return ids.includes(aDevice) && ids.includes(bDevice);
    });
    // The new log entry reached the friend: B knows and links to A2.
    await waitFor('B sees A2', async () => (await onlineIds(b)).includes(me.deviceId));
  }, 180_000);

  it("A's devices converge on the same history, whichever device sent", async () => {
    type Msg = { id: string; text: string; from: string };
    const bUser = (await b.cli<{ userId: string }>('identity')).userId;
    const fromA = await a.cli<{ id: string; conversation: string }>('send', '--to', bUser, 'sent from A');
    const fromA2 = await a2.cli<{ id: string; conversation: string }>('send', '--to', bUser, 'sent from A2');
    expect(fromA2.conversation).toBe(fromA.conversation);
    const reply = await b.cli<{ id: string }>(
      'send',
      '--to',
      (await a.cli<{ userId: string }>('identity')).userId,
      'reply from B',
    );
    const want = [fromA.id, fromA2.id, reply.id].sort();
    for (const n of [a, a2, b]) {
      await waitFor(`${n.options.host} has all three`, async () => {
        const ids = (await n.api<Msg[]>(`/messages?conversation=${fromA.conversation}`))
          .map((m) => m.id)
          .sort();
        return JSON.stringify(ids) === JSON.stringify(want);
      });
    }
  }, 180_000);

  it('B restarted on a new address: A and A2 learn it and reconnect', async () => {
    await b.stop();
    const bDevice = (await runKith(['identity', '--data', b.dataDir, '--json'])).json as { deviceId: string };
    await waitFor('A sees B offline', async () => !(await onlineIds(a)).includes(bDevice.deviceId));
    await b.start({ host: '127.0.0.5' });
    for (const n of [a, a2]) {
      await waitFor(`${n.options.host} sees B at 127.0.0.5`, async () => {
        const p = (await peersOf(n)).find((x) => x.deviceId === bDevice.deviceId);
        return p?.online && p.addresses.some((x) => x.startsWith('127.0.0.5:'));
      });
    }
  }, 180_000);

  it('a node killed with SIGKILL comes back and relinks', async () => {
    const a2Device = (await a2.cli<{ deviceId: string }>('identity')).deviceId;
    await a2.kill();
    await waitFor('A sees A2 offline', async () => !(await onlineIds(a)).includes(a2Device), 20_000);
    await a2.start();
    await waitFor('A sees A2 again', async () => (await onlineIds(a)).includes(a2Device));
  }, 180_000);

  it('strangers get silence on the peer port', async () => {
    for (const probe of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'garbage\r\n\r\n']) {
      const bytes = await new Promise<number>((resolve) => {
        const socket = new Socket();
        let received = 0;
        socket.on('data', (d) => {
          received += d.length;
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve(received));
        socket.setTimeout(1500, () => socket.destroy());
        socket.connect(b.options.peerPort, b.options.host, () => socket.write(probe));
      });
      expect(bytes).toBe(0);
    }
  }, 180_000);

  it('a revoked device is refused at its next handshake', async () => {
    const a2Device = (await a2.cli<{ deviceId: string }>('identity')).deviceId;
    const revoked = await a.cli<{ deviceId: string }>('revoke', a2Device, '--phrase-file', phraseA);
    expect(revoked.deviceId).toBe(a2Device);
    await waitFor('B marks A2 revoked', async () => {
      const p = (await peersOf(b)).find((x) => x.deviceId === a2Device);
      return p?.status === 'revoked' && !p.online;
    });
    await waitFor('A2 has no links', async () => (await onlineIds(a2)).length === 0);
    // A2 keeps dialing with backoff; for three heartbeat means nobody lets it back in.
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS * 3));
    expect(await onlineIds(a2)).toEqual([]);
    expect((await peersOf(a)).find((p) => p.deviceId === a2Device)?.online ?? false).toBe(false);
    const garbage = join(dir, 'not-a-phrase');
    await writeFile(garbage, 'zoo zoo zoo');
    const refused = await runKith([
      'revoke',
      a2Device,
      '--phrase-file',
      garbage,
      '--data',
      a.dataDir,
      '--json',
    ]);
    expect((refused.json as { error: { code: string } }).error.code).toBe('PHRASE_INVALID');
  }, 180_000);
});
