/**
 * Every friend back after losing every device (issue #15; docs/PROTOCOL.md §9 "Friends after a
 * recovery"): Ana (one device) has friends Bo, Cy and Dee with a conversation each. Her device is
 * lost (process stopped, data dir deleted). `kith recover --invite` with Bo's invite, `kith up`,
 * `kith archive restore --phrase-file`: `kith messages` shows the conversations, Cy's node links
 * to the new device without a new pairing, and a new message Ana→Cy arrives. Dee's node is down
 * during the restore: it is introduced when it comes back (introductions-pending.ts), with no
 * second restore, and a new message Ana→Dee arrives.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClusterDatabases,
  clusterDatabaseKind,
  type KithNode,
  type PeerJson,
  pairAndConfirm,
  waitFor,
} from '../../test/helpers/cluster.ts';
import { makeTempDir } from '../../test/helpers/database.ts';
import { runKith } from '../../test/helpers/kith-cli.ts';

const HEARTBEAT_MS = 2000;
const WAIT_MS = 120_000;

interface Ids {
  userId: string;
  deviceId: string;
}
interface MessageJson {
  from: string;
  text: string;
  conversation: string;
}

describe.each(clusterDatabaseKind())('recovery brings back every friend on %s (real processes)', (kind) => {
  const databases = new ClusterDatabases(kind);
  const nodes: KithNode[] = [];
  let dir: string;
  let phraseFile: string;
  let ana: KithNode;
  let bo: KithNode;
  let cy: KithNode;
  let dee: KithNode;
  let idsA: Ids;
  let idsB: Ids;
  let idsC: Ids;
  let idsD: Ids;

  const friendOnline = (node: KithNode, userId: string) => async () =>
    (await node.api<{ userId: string; online: boolean }[]>('/friends')).some(
      (f) => f.userId === userId && f.online,
    );
  const hasText = (node: KithNode, text: string) => async () =>
    (await node.api<MessageJson[]>('/messages')).some((m) => m.text === text);

  beforeAll(async () => {
    dir = await makeTempDir(`kith-recover-friends-${kind}-`);
    phraseFile = join(dir, 'phrase-a');
    ana = await databases.node(join(dir, 'a'), '127.0.0.81', HEARTBEAT_MS);
    bo = await databases.node(join(dir, 'b'), '127.0.0.82', HEARTBEAT_MS);
    cy = await databases.node(join(dir, 'c'), '127.0.0.83', HEARTBEAT_MS);
    dee = await databases.node(join(dir, 'd'), '127.0.0.85', HEARTBEAT_MS);
    nodes.push(ana, bo, cy, dee);
    const ia = await runKith([
      'init',
      '--data',
      ana.dataDir,
      '--name',
      'Ana',
      '--phrase-file',
      phraseFile,
      '--json',
    ]);
    const ib = await runKith(['init', '--data', bo.dataDir, '--name', 'Bo', '--json']);
    const ic = await runKith(['init', '--data', cy.dataDir, '--name', 'Cy', '--json']);
    const id = await runKith(['init', '--data', dee.dataDir, '--name', 'Dee', '--json']);
    for (const r of [ia, ib, ic, id]) expect(r.code, r.stderr).toBe(0);
    idsA = ia.json as Ids;
    idsB = ib.json as Ids;
    idsC = ic.json as Ids;
    idsD = id.json as Ids;
    await Promise.all([ana.start(), bo.start(), cy.start(), dee.start()]);
    await pairAndConfirm(bo, ana);
    await pairAndConfirm(cy, ana);
    await pairAndConfirm(dee, ana);
    await waitFor(
      'Bo, Cy and Dee see Ana online',
      async () =>
        (await friendOnline(bo, idsA.userId)()) &&
        (await friendOnline(cy, idsA.userId)()) &&
        (await friendOnline(dee, idsA.userId)()),
      WAIT_MS,
    );
    await ana.cli('send', '--to', idsB.userId, 'hello Bo');
    await ana.cli('send', '--to', idsC.userId, 'hello Cy');
    await ana.cli('send', '--to', idsD.userId, 'hello Dee');
    await waitFor('Bo has Ana’s message', hasText(bo, 'hello Bo'), WAIT_MS);
    await waitFor('Cy has Ana’s message', hasText(cy, 'hello Cy'), WAIT_MS);
    await waitFor('Dee has Ana’s message', hasText(dee, 'hello Dee'), WAIT_MS);
    await cy.cli('send', '--to', idsA.userId, 'hi Ana, Cy here');
    await waitFor('Ana has Cy’s answer', hasText(ana, 'hi Ana, Cy here'), WAIT_MS);
    // Archived: both conversations (current, one device) and the friend bundle in the history
    // index; `--wait` returns once each list is on both friends' devices (list-placement.ts).
    expect(await ana.cli('archive', 'sync')).toMatchObject({ failed: [] });
    const status = await runKith([
      'archive',
      'status',
      '--wait',
      '--timeout',
      '120',
      '--data',
      ana.dataDir,
      '--json',
    ]);
    expect(status.code, status.stderr).toBe(0);
    const lists = (status.json as { lists: { name: string; holders: number }[] }).lists;
    expect(lists.find((l) => l.name === 'conversations')?.holders).toBeGreaterThanOrEqual(2);
  }, 500_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await databases.dispose();
  });

  it('recovers with Bo’s invite; the restore brings back the conversations, Cy links again, and Dee once back', async () => {
    await ana.kill();
    await rm(ana.dataDir, { recursive: true, force: true });
    // Dee's node is down while Ana recovers and restores.
    await dee.stop();

    const invite = await bo.cli<{ code: string }>('invite');
    const fresh = await databases.node(join(dir, 'a-new'), '127.0.0.84', HEARTBEAT_MS);
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
      '--device-name',
      'new laptop',
      '--json',
    ]);
    expect(res.code, res.stderr).toBe(0);
    const recovered = res.json as Ids;
    await fresh.start();
    await waitFor(
      'Bo lists the new device online',
      async () =>
        (await bo.api<PeerJson[]>('/peers')).some((p) => p.deviceId === recovered.deviceId && p.online),
      WAIT_MS,
    );
    // Before the restore Cy does not know the new device: it is not Ana's friend on it yet.
    expect((await fresh.cli<{ userId: string }[]>('friends')).map((f) => f.userId)).toEqual([idsB.userId]);

    const restored = await fresh.cli<{
      conversations: number;
      failed: unknown[];
      friends?: { friends: number; added: string[]; introduced: { user: string; outcome: string }[] };
    }>('archive', 'restore', '--phrase-file', phraseFile);
    expect([...(restored.friends?.added ?? [])].sort(), JSON.stringify(restored)).toEqual(
      [idsC.userId, idsD.userId].sort(),
    );
    expect(restored.friends?.introduced).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ user: idsC.userId, outcome: 'merged' }),
        expect.objectContaining({ user: idsD.userId, outcome: 'unreachable' }),
      ]),
    );
    expect(restored.conversations).toBeGreaterThanOrEqual(2);

    const messages = await fresh.cli<MessageJson[]>('messages');
    expect(messages.map((m) => m.text)).toEqual(
      expect.arrayContaining(['hello Bo', 'hello Cy', 'hi Ana, Cy here']),
    );

    await waitFor(
      'Cy lists the new device online',
      async () =>
        (await cy.api<PeerJson[]>('/peers')).some((p) => p.deviceId === recovered.deviceId && p.online),
      WAIT_MS,
    );
    const cyPeers = await cy.api<PeerJson[]>('/peers');
    expect(cyPeers.find((p) => p.deviceId === idsA.deviceId)?.status).toBe('revoked');

    await fresh.cli('send', '--to', idsC.userId, 'back, Cy');
    await waitFor(
      'Cy has the recovered device’s message',
      async () =>
        (await cy.api<MessageJson[]>('/messages')).some(
          (m) => m.text === 'back, Cy' && m.from === idsA.userId,
        ),
      WAIT_MS,
    );

    // Dee comes back: the recovered device introduces itself (no second restore) and they link.
    await dee.start();
    await waitFor(
      'Dee lists the new device online',
      async () =>
        (await dee.api<PeerJson[]>('/peers')).some((p) => p.deviceId === recovered.deviceId && p.online),
      WAIT_MS,
    );
    expect((await dee.api<PeerJson[]>('/peers')).find((p) => p.deviceId === idsA.deviceId)?.status).toBe(
      'revoked',
    );
    await fresh.cli('send', '--to', idsD.userId, 'back, Dee');
    await waitFor(
      'Dee has the recovered device’s message',
      async () =>
        (await dee.api<MessageJson[]>('/messages')).some(
          (m) => m.text === 'back, Dee' && m.from === idsA.userId,
        ),
      WAIT_MS,
    );
  }, 900_000);
});
