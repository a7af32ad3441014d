/**
 * Setup mode in one process (docs/DESIGN.md "Setup mode"): a node on an empty data dir with
 * KITH_SETUP=web waits with only the setup routes; a step makes its identity and the same
 * `runNode` call goes on as the full node, on the same API URL and token. Enrol and recover
 * through a browser are in test/browser/setup.browser.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import type { Agent } from '../../src/app.ts';
import { hasKeystore, hasPendingPhrase } from '../../src/keystore/index.ts';
import { createLogger } from '../../src/logger.ts';
import { type RunningNode, runNode } from '../../src/node.ts';
import { IdentitySetup } from '../../src/setup/identity-setup.ts';

const running: RunningNode[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.shutdown();
});

function start(dir: string, setup: 'web' | 'off') {
  let waiting: (agent: Agent) => void = () => {};
  const prelude = new Promise<Agent>((resolve) => {
    waiting = resolve;
  });
  const node = runNode({
    flags: { data: dir, host: '127.0.0.81', peerPort: '0', apiPort: '0', logLevel: 'silent', setup },
    env: {},
    handleSignals: false,
    logger: createLogger({ level: 'silent' }),
    async onPrelude(agent) {
      waiting(agent);
    },
  }).then((r) => {
    running.push(r);
    return r;
  });
  return { prelude, node };
}

async function call(
  agent: { apiUrl: string | undefined; apiToken: string },
  method: string,
  path: string,
  body?: unknown,
) {
  const res = await fetch(`${agent.apiUrl}/api${path}`, {
    method,
    headers: {
      authorization: `Bearer ${agent.apiToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('setup mode', () => {
  it('waits without an identity, then create makes one and the same call runs the node on the same API', async () => {
    const dir = await makeTempDir('kith-setup-mode-');
    const { prelude, node } = start(dir, 'web');
    const waiting = await prelude;
    const url = waiting.apiUrl;
    const token = waiting.apiToken;
    expect(await hasKeystore(dir)).toBe(false);
    expect(await call(waiting, 'GET', '/setup')).toEqual({ status: 200, json: { state: 'waiting' } });
    expect((await call(waiting, 'GET', '/health')).status).toBe(200);
    // Anything else names what to do; without the token nothing at all.
    const status = await call(waiting, 'GET', '/status');
    expect(status.status).toBe(409);
    expect((status.json.error as { code: string }).code).toBe('SETUP_WAITING');
    expect((await fetch(`${url}/api/setup/create`, { method: 'POST' })).status).toBe(401);
    // A friend invite is not a device invite: refused before anything is written.
    const wrong = await call(waiting, 'POST', '/setup/enrol', { code: 'KITH1-not-a-code' });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(await hasKeystore(dir)).toBe(false);

    const created = await call(waiting, 'POST', '/setup/create', { name: 'Ada' });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ phrasePending: true });
    expect(JSON.stringify(created.json)).not.toMatch(/phrase"?:\s*"/);
    const r = await node;
    expect(r.agent.apiUrl).toBe(url);
    expect(r.agent.apiToken).toBe(token);
    expect(r.node.userId).toBe(created.json.userId);
    expect(await hasPendingPhrase(dir)).toBe(true);
    expect(await call(r.agent, 'GET', '/setup')).toEqual({
      status: 200,
      json: { state: 'ready', userId: r.node.userId, deviceId: r.node.deviceId },
    });
    const again = await call(r.agent, 'POST', '/setup/create', {});
    expect((again.json.error as { code: string }).code).toBe('SETUP_DONE');
    expect((await call(r.agent, 'GET', '/status')).status).toBe(200);
    expect(JSON.parse(await readFile(join(dir, 'api.json'), 'utf8')).url).toBe(url);
  }, 120_000);

  it('an unlock passphrase typed at setup seals the keys: unlocked now, locked at the next start until unlocked', async () => {
    const dir = await makeTempDir('kith-setup-locked-');
    const passphrase = 'the NAS passphrase';
    const first = start(dir, 'web');
    const waiting = await first.prelude;
    const short = await call(waiting, 'POST', '/setup/create', { unlockPassphrase: 'short' });
    expect(short.status).toBe(400);
    expect(await hasKeystore(dir)).toBe(false);
    const created = await call(waiting, 'POST', '/setup/create', {
      name: 'Nas',
      unlockPassphrase: passphrase,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const r = await first.node;
    // Runs unlocked right after setup, so its friends learn its relay keys.
    expect(await call(r.agent, 'GET', '/lock')).toMatchObject({ json: { locked: false } });
    await r.shutdown();
    running.splice(running.indexOf(r), 1);

    const again = await start(dir, 'web').node;
    expect(await call(again.agent, 'GET', '/lock')).toMatchObject({ json: { locked: true } });
    expect((await call(again.agent, 'GET', '/messages')).status).toBeGreaterThanOrEqual(400);
    const wrong = await call(again.agent, 'POST', '/unlock', { passphrase: 'not the passphrase' });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(await call(again.agent, 'POST', '/unlock', { passphrase })).toMatchObject({
      status: 200,
      json: { locked: false },
    });
    expect((await call(again.agent, 'GET', '/messages')).status).toBe(200);
  }, 180_000);

  it('one source of the unlock passphrase: with KITH_PASSPHRASE_FILE the typed one is refused', async () => {
    const dir = await makeTempDir('kith-setup-two-');
    const setup = new IdentitySetup({
      dataDir: dir,
      passphrase: 'from the passphrase file',
      random: (n) => new Uint8Array(randomBytes(n)),
    });
    await expect(setup.create({ unlockPassphrase: 'typed in the page' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(await hasKeystore(dir)).toBe(false);
    await setup.create({});
    expect(setup.passphrase).toBe('from the passphrase file');
  });

  it('KITH_SETUP=off never waits: with no identity the node does not start (the caller makes one)', async () => {
    const dir = await makeTempDir('kith-setup-off-');
    const { node } = start(dir, 'off');
    // `off` leaves making the identity to the caller (`kith up` makes one first): none here.
    await expect(node).rejects.toMatchObject({ code: 'KEYSTORE_MISSING' });
  }, 120_000);

  it('runs one step at a time, and none after one succeeded', async () => {
    const dir = await makeTempDir('kith-setup-steps-');
    const setup = new IdentitySetup({ dataDir: dir, random: (n) => new Uint8Array(randomBytes(n)) });
    const first = setup.create({ deviceName: 'one' });
    await expect(setup.create({})).rejects.toMatchObject({ code: 'SETUP_BUSY' });
    await first;
    await expect(setup.create({})).rejects.toMatchObject({ code: 'SETUP_DONE' });
    await expect(setup.enrol({ code: 'x' })).rejects.toMatchObject({ code: 'SETUP_DONE' });
    setup.finish();
    expect(await setup.done).toMatchObject({ userId: expect.any(String) });
  });

  it('a node stopped while it waits writes nothing and says so', async () => {
    const dir = await makeTempDir('kith-setup-cancel-');
    const setup = new IdentitySetup({ dataDir: dir, random: (n) => new Uint8Array(randomBytes(n)) });
    setup.cancel();
    await expect(setup.done).rejects.toMatchObject({ code: 'SETUP_STOPPED' });
    expect(await hasKeystore(dir)).toBe(false);
  });
});
