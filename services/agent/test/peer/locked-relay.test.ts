/**
 * Locked relay mode (docs/SECURITY.md "Locked relay mode"): real nodes in this process (real
 * links on loopback, real PGlite) and the real `kith` CLI against the locked node's API. L's keys
 * are under a passphrase; L runs once unlocked (its address record v2 certifies its relay keys
 * to its friends A and C), then starts without the passphrase: locked. Locked, it relays A's
 * message for the offline C, holds and serves A's archive item with a receipt under its relay
 * key, and keeps A's message to L's own user as it came. Nothing on its disk opens that message.
 * `kith unlock` reads it; `kith lock` closes the keys again.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { deriveDeviceKeys, deriveRootKeys } from '@kith/core/identity/derive';
import { enrolDevice } from '@kith/core/identity/enrol';
import { createGenesis, verifyLog } from '@kith/core/identity/log';
import { openEpochKey } from '@kith/core/messaging/epoch-key';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayQueue } from '@kith/db/schema';
import { sealedTestBlob } from '../../../../test/helpers/archive-blob.ts';
import { waitFor } from '../../../../test/helpers/cluster.ts';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { pairInProcess, startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import { runKith } from '../../../../test/helpers/kith-cli.ts';
import { createKeystore, dataPaths } from '../../src/keystore/index.ts';
import { openKeyFile } from '../../src/keystore/key-file.ts';
import { relayKeyPath } from '../../src/keystore/device-keyring.ts';
import { readRelayKeys } from '../../src/keystore/relay-key-file.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';

const L_HOST = '127.0.0.12';
/** 2 s heartbeats: 300 ms links flapped under CI load and the relink below timed out. */
const HEARTBEAT_MS = '2000';
const PASSPHRASE = 'correct horse battery staple';
const FOR_C = 'relayed by a locked node';
const FOR_L = 'kept while locked, read at unlock';

/** Starts a node on its data dir (keys and database as they are). */
function startOn(dir: string, host: string, passphraseFile?: string): Promise<RunningNode> {
  return runNode({
    flags: {
      data: dir,
      host,
      peerPort: '0',
      apiPort: '0',
      heartbeatMeanMs: HEARTBEAT_MS,
      logLevel: 'silent',
      ...(passphraseFile ? { passphraseFile } : {}),
    },
    env: { KITH_PORT_WINDOWS: 'off' },
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
  });
}

async function api(node: RunningNode, method: string, path: string, body?: unknown) {
  const res = await node.agent.api.inject({
    method: method as 'GET',
    url: `/api${path}`,
    headers: { authorization: `Bearer ${node.agent.apiToken}` },
    ...(body === undefined ? {} : { payload: body as object }),
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

/** Every file under `dir`, as bytes. */
async function filesUnder(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out.push({ path, bytes: await readFile(path) });
  }
  return out;
}

describe('locked relay mode', () => {
  let dir: string;
  let lDir: string;
  let passphraseFile: string;
  let a: RunningNode;
  let c: RunningNode;
  let l: RunningNode;
  const dbOf = (x: RunningNode) => x.node.options.components.db.db;
  const heldFor = (holder: RunningNode, target: string) =>
    dbOf(holder).select().from(relayQueue).where(eq(relayQueue.targetDevice, target));

  beforeAll(async () => {
    dir = await makeTempDir('kith-locked-');
    lDir = join(dir, 'l');
    passphraseFile = join(dir, 'passphrase');
    await writeFile(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    const seed = new Uint8Array(randomBytes(64));
    const root = deriveRootKeys(seed);
    const device = deriveDeviceKeys(seed, 0);
    const log = enrolDevice(verifyLog([createGenesis(root)]), root, device, {
      deviceName: 'nas',
      now: Date.now(),
    });
    await createKeystore({
      dataDir: lDir,
      userId: root.userId,
      device,
      logEntries: log.entries,
      passphrase: PASSPHRASE,
      scryptParams: { N: 2 ** 14, r: 8, p: 1 },
    });
    [a, c, l] = await Promise.all([
      startInProcessNode(join(dir, 'a'), '127.0.0.10', { heartbeatMeanMs: 2000 }),
      startInProcessNode(join(dir, 'c'), '127.0.0.11', { heartbeatMeanMs: 2000 }),
      startOn(lDir, L_HOST, passphraseFile),
    ]);
    await pairInProcess(l, a);
    await pairInProcess(l, c);
    await pairInProcess(a, c);
    // A and C hold L's address record v2: its relay keys, certified by its device key.
    await waitFor('A and C know L’s relay keys', async () => {
      for (const x of [a, c]) if (!(await x.node.addresses.get(l.node.deviceId))?.relay) return false;
      return true;
    });
    // L restarts locked on a new port and cannot sign a new record, so it dials A and C: it needs
    // their address records first (as inviter it never dialled them; under load they come late).
    await waitFor(
      'L knows A’s and C’s addresses',
      async () => {
        for (const x of [a, c])
          if (!(await l.node.addresses.get(x.node.deviceId))?.addresses.length) return false;
        return true;
      },
      90_000,
    );
  }, 400_000);

  afterAll(async () => {
    await Promise.all([a, c, l].map((x) => x?.shutdown()));
  }, 60_000);

  it('starts locked without the passphrase, and says so', async () => {
    await l.shutdown();
    l = await startOn(lDir, L_HOST);
    expect(l.lockControl.locked).toBe(true);
    const health = await l.agent.api.inject({ method: 'GET', url: '/api/health' });
    expect(health.json()).toMatchObject({ ok: true, locked: true });
    expect((await api(l, 'GET', '/status')).body.locked).toBe(true);
    // What opens content answers with a clear error.
    const list = await api(l, 'GET', '/messages');
    expect(list.status).toBe(423);
    expect((list.body.error as { code: string }).code).toBe('NODE_LOCKED');
    await waitFor(
      'A and C linked to the locked L (on its relay link key)',
      async () => [a, c].every((x) => x.node.session(l.node.deviceId) !== undefined),
      90_000,
    );
  }, 120_000);

  it('relays a friend’s message for a third user, holds and serves a friend’s archive item', async () => {
    const cDevice = c.node.deviceId;
    await c.shutdown();
    await waitFor('A and L see C offline', async () =>
      [a, l].every((x) => x.node.session(cDevice) === undefined),
    );
    await a.messenger.sendText({ to: c.node.userId }, FOR_C);
    await waitFor(
      'L holds the message and its epoch key for C',
      async () => (await heldFor(l, cDevice)).length === 2,
    );

    // An archive item of A: stored by L, receipted under L's relay signing key, served back.
    // Holders keep only envelopes a device of the owner sealed (archive-sender.ts).
    const ciphertext = await sealedTestBlob(a, 3000);
    const replicated = new Promise<void>((resolve) => {
      const off = a.node.options.events.subscribe((e) => {
        if (e.type === 'archive.replicated' && e.data.holder === l.node.deviceId) {
          off();
          resolve();
        }
      });
    });
    const put = await a.archive.put('history', ciphertext, { preferHolders: [l.node.deviceId] });
    expect(put.sentTo).toContain(l.node.deviceId);
    await replicated;
    const id = new Uint8Array(Buffer.from(put.id, 'hex'));
    const served = await a.archive.fetcher.request(l.node.deviceId, {
      owner: a.node.userId,
      blob: id,
      rewrap: false,
    });
    expect(Buffer.from(served.ciphertext).equals(Buffer.from(ciphertext))).toBe(true);

    c = await startOn(join(dir, 'c'), '127.0.0.11');
    const got = await waitFor('C has A’s message, relayed by the locked L', async () => {
      const list = await c.messenger.list();
      return list.some((m) => m.text === FOR_C) && list;
    });
    expect(got.filter((m) => m.text === FOR_C)).toHaveLength(1);
  }, 120_000);

  it('keeps a message for its own user as it came; nothing on its disk opens it', async () => {
    const me = l.node.deviceId;
    await a.messenger.sendText({ to: l.node.userId }, FOR_L);
    await waitFor('L kept the message and its epoch key', async () => (await heldFor(l, me)).length === 2);
    const kept = await heldFor(l, me);
    const envelope = kept.find((r) => r.kind === 'epoch-key')!;
    await l.shutdown();

    // Everything on disk while locked: the key file, the relay keys (in clear), the database.
    const files = await filesUnder(lDir);
    expect(files.some((f) => f.path.endsWith('relay.key'))).toBe(true);
    for (const text of [FOR_L, FOR_C, PASSPHRASE]) {
      const hits = files.filter((f) => f.bytes.includes(Buffer.from(text)));
      expect(hits.map((f) => f.path)).toEqual([]);
    }
    // The key file does not open without the passphrase, and the keys in clear do not open
    // the envelope that carries the message's key.
    const keyFile = new Uint8Array(await readFile(dataPaths(lDir).keyFile));
    await expect(openKeyFile(keyFile, undefined)).rejects.toMatchObject({ code: 'KEYSTORE_LOCKED' });
    const relay = (await readRelayKeys(relayKeyPath(lDir), me))!;
    await expect(openEpochKey(envelope.item, relay.link)).rejects.toThrow();

    l = await startOn(lDir, L_HOST);
    expect(l.lockControl.locked).toBe(true);
  }, 120_000);

  it('`kith unlock` reads what was kept; `kith lock` closes the keys again', async () => {
    const data = ['--data', lDir, '--json'];
    const wrong = join(dir, 'wrong');
    await writeFile(wrong, 'not it\n', { mode: 0o600 });
    const bad = await runKith(['unlock', '--passphrase-file', wrong, ...data]);
    expect(bad.code).toBe(1);
    expect(bad.json).toMatchObject({ error: { code: 'KEYSTORE_BAD_PASSPHRASE' } });
    expect(l.lockControl.locked).toBe(true);

    const ok = await runKith(['unlock', '--passphrase-file', passphraseFile, ...data]);
    expect(ok.code).toBe(0);
    expect(ok.json).toMatchObject({ locked: false, kept: 2 });
    const messages = await runKith(['messages', ...data]);
    expect((messages.json as { text: string }[]).map((m) => m.text)).toContain(FOR_L);
    expect(await heldFor(l, l.node.deviceId)).toEqual([]);
    expect((await api(l, 'GET', '/health')).body.locked).toBe(false);
    // A gets L's signed "delivered" receipt for it.
    await waitFor('A’s outbox is empty', async () => (await a.messenger.pending()) === 0);

    const locked = await runKith(['lock', ...data]);
    expect(locked.code).toBe(0);
    expect(locked.json).toEqual({ locked: true });
    const after = await runKith(['messages', ...data]);
    expect(after.json).toMatchObject({ error: { code: 'NODE_LOCKED' } });
    expect((await runKith(['status', ...data])).json).toMatchObject({ locked: true });
  }, 400_000);
});
