/**
 * Invites end honestly (issue #14): a used invite says it was used, a cancelled one says it was
 * cancelled (by `kith invite --cancel` or by Ctrl-C on a waiting `kith invite`), `kith invites`
 * lists what is open, and a cut-off code says it is incomplete. Real `kith up` processes.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterDatabases, clusterDatabaseKind, type KithNode } from '../../test/helpers/cluster.ts';
import { makeTempDir } from '../../test/helpers/database.ts';
import { runKith, spawnKith } from '../../test/helpers/kith-cli.ts';

const SIGINT_PROBE = fileURLToPath(new URL('./fixtures/sigint-listeners.mjs', import.meta.url));

interface ErrorJson {
  error: { code: string; message: string };
}
interface OpenInviteJson {
  id: string;
  role: string;
  nameplate: number | null;
}

describe.each(clusterDatabaseKind())('invite lifecycle on %s (real processes)', (kind) => {
  const databases = new ClusterDatabases(kind);
  let a: KithNode;
  let b: KithNode;
  let c: KithNode;

  beforeAll(async () => {
    const dir = await makeTempDir(`kith-invites-${kind}-`);
    a = await databases.node(join(dir, 'a'), '127.0.0.101', 400);
    b = await databases.node(join(dir, 'b'), '127.0.0.102', 400);
    c = await databases.node(join(dir, 'c'), '127.0.0.103', 400);
    // A shared, loaded machine: give each start its time.
    const slow = { startTimeoutMs: 400_000 };
    await Promise.all([a.start(slow), b.start(slow), c.start(slow)]);
  }, 600_000);

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill(), c?.kill()]);
    await databases.dispose();
  });

  const acceptFails = async (node: KithNode, code: string) => {
    const r = await runKith(['accept', code, '--data', node.dataDir, '--json']);
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    return (r.json as ErrorJson).error;
  };

  it('a used invite says it was used (not "is the agent running?")', async () => {
    const invite = await a.cli<{ code: string }>('invite');
    await b.cli('accept', invite.code);
    const error = await acceptFails(c, invite.code);
    expect(error.code).toBe('INVITE_USED');
    expect(error.message).toMatch(/already used/);
  }, 180_000);

  it('kith invites lists open invites; kith invite --cancel ID ends one, and its code stops working', async () => {
    const first = await a.cli<{ id: string; code: string }>('invite');
    const second = await a.cli<{ id: string; code: string }>('invite');
    const open = await a.cli<OpenInviteJson[]>('invites');
    expect(open.map((i) => i.id)).toEqual(expect.arrayContaining([first.id, second.id]));
    const human = await runKith(['invites', '--data', a.dataDir]);
    expect(human.stdout).toContain(first.id);
    expect(await a.cli('invite', '--cancel', first.id)).toEqual({ cancelled: [first.id] });
    expect((await a.cli<OpenInviteJson[]>('invites')).map((i) => i.id)).not.toContain(first.id);
    const error = await acceptFails(c, first.code);
    expect(error.code).toBe('INVITE_CANCELLED');
    // --cancel without an id ends every open one.
    const all = await a.cli<{ cancelled: string[] }>('invite', '--cancel');
    expect(all.cancelled).toContain(second.id);
    expect(await a.cli<OpenInviteJson[]>('invites')).toEqual([]);
    expect((await acceptFails(c, second.code)).code).toBe('INVITE_CANCELLED');
  }, 480_000);

  it('Ctrl-C on a waiting kith invite cancels it and says so', async () => {
    // The probe reports whether Ctrl-C is listened for when "Waiting" is shown: a SIGINT sent the
    // moment the line appears once killed the process (exit null), as the listener came after it.
    const invite = spawnKith(['invite', '--data', a.dataDir], {
      env: { NODE_OPTIONS: `--import ${SIGINT_PROBE}` },
    });
    // Wait for the code and the waiting line, then press Ctrl-C.
    await invite.waitForOutput('Waiting');
    await invite.waitForOutput(/SIGINT listeners: \d+/);
    expect(invite.stderr()).not.toContain('SIGINT listeners: 0');
    const stdout = invite.stdout();
    const code = /(KITH1(?:-[0-9A-Z]{1,5})+)/.exec(stdout)?.[1];
    expect(code).toBeDefined();
    invite.child.kill('SIGINT');
    expect(await invite.exited, invite.stderr()).toBe(130);
    expect(invite.stderr()).toContain('Invite cancelled: its code no longer works.');
    expect(await a.cli<OpenInviteJson[]>('invites')).toEqual([]);
    expect((await acceptFails(c, code!)).code).toBe('INVITE_CANCELLED');
  }, 180_000);

  it('a cut-off code says it is incomplete', async () => {
    const error = await acceptFails(c, 'KITH1-AAAAA-BBBBB');
    expect(error.code).toBe('INVITE_INCOMPLETE');
    const invite = await a.cli<{ code: string }>('invite');
    expect((await acceptFails(c, invite.code.slice(0, 120))).code).toBe('INVITE_INCOMPLETE');
  }, 180_000);
});
