/**
 * Appliance tier (docs/ARCHITECTURE.md "Test tiers"): the real image and docker-compose.yml.
 * Builds the image, brings the stack up with its ports published on 127.0.0.1 only, waits for
 * four healthy containers, creates its identity through the web part (setup mode) with an unlock passphrase, pairs the
 * appliance with a `kith up` node on this machine, sends a
 * message each way, probes the peer port as a stranger and the web port as a browser, restarts
 * the stack (locked now: a message kept and an item held, read after the unlock), then backup ->
 * `down -v` -> restore, and tears everything down.
 * Runs when a Docker engine answers (CI starts one with docker-standins); skipped otherwise,
 * unless KITH_APPLIANCE_REQUIRED=1 (CI), where a missing engine fails.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sealEnvelope } from '@kith/core/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unlock } from '../../services/agent/src/keystore/index.ts';
import { KithNode, nextPorts, waitFor } from '../helpers/cluster.ts';
import { runKith } from '../helpers/kith-cli.ts';
import { Stack, engineProblem, freePort, run } from './compose.ts';

const problem = engineProblem();
if (problem) {
  if (process.env.KITH_APPLIANCE_REQUIRED === '1') throw new Error(`appliance tier: ${problem}`);
  console.info(`[appliance tier] skipped: ${problem}`);
}

const IMAGE = process.env.KITH_APPLIANCE_IMAGE ?? 'kith:appliance-test';
const PASSPHRASE = 'a backup passphrase for the appliance test';
/** Locked relay mode, chosen in the web setup: every start after the first is locked. */
const UNLOCK = 'the unlock passphrase of the NAS';

interface RelayJson {
  heldFor: { userId: string; archive: { items: number; bytes: number }; relayed: unknown }[];
}

interface Message {
  text: string;
  from: string;
}

/** Bytes the peer port sends a stranger before it closes or a few seconds pass. */
function probe(port: number, payload: string): Promise<number> {
  return new Promise((resolve) => {
    let received = 0;
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(payload));
    socket.on('data', (d) => {
      received += d.length;
    });
    const done = () => resolve(received);
    socket.on('close', done);
    socket.on('error', () => {});
    setTimeout(() => socket.destroy(), 3000);
  });
}

describe.skipIf(problem !== undefined)('the appliance: docker compose up', () => {
  let stack: Stack;
  let host: KithNode;
  let dir: string;
  let peerPort: number;
  let webPort: number;
  let appliance: { userId: string; deviceId: string };
  const phraseFile = () => join(dir, 'host-phrase.txt');

  async function untilHealthy(services = ['db', 'agent', 'consensus', 'web'], of: Stack = stack) {
    try {
      let last: Record<string, string> = {};
      await waitFor(
        `${services.join(', ')} healthy`,
        async () => {
          last = await of.health();
          return services.every((s) => last[s] === 'healthy') ? last : undefined;
        },
        480_000,
        1000,
      ).catch((err: Error) => {
        throw new Error(`${err.message} (last: ${JSON.stringify(last)})`);
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${await of.logs()}`);
    }
  }

  /**
   * An item of the host's current archive, sealed by the host's own device (holders keep only
   * what an active device of its owner sealed); its current copies go to the friend's relay.
   */
  async function putArchiveItem(): Promise<{ size: number; sentTo: string[] }> {
    const device = await unlock(host.dataDir, undefined);
    const sealed = await sealEnvelope({
      kind: 'test',
      plaintext: new Uint8Array(randomBytes(3000)),
      recipients: [device.keys.agreement.publicKey],
      threshold: 1,
      sender: device.keys.signing,
      createdAt: Date.now(),
      random: (n) => new Uint8Array(randomBytes(n)),
    });
    const file = join(dir, `item-${randomBytes(4).toString('hex')}.bin`);
    await writeFile(file, sealed);
    return host.cli<{ size: number; sentTo: string[] }>('archive', 'put', file, '--kind', 'current');
  }

  /** How many of the host user's archive items the appliance holds (its relay view; no keys needed). */
  async function heldItems(hostUser: string): Promise<number> {
    const s = await stack.kith<{ relay: RelayJson }>('archive', 'status');
    return s.relay.heldFor.find((h) => h.userId === hostUser)?.archive.items ?? 0;
  }

  async function messagesAt(side: 'host' | 'appliance'): Promise<Message[]> {
    return side === 'host' ? host.cli<Message[]>('messages') : stack.kith<Message[]>('messages');
  }

  beforeAll(async () => {
    // The host's node first: it starts faster before the image build loads the machine.
    dir = await mkdtemp(join(tmpdir(), 'kith-appliance-'));
    host = new KithNode({
      dataDir: join(dir, 'host'),
      host: '127.0.0.9',
      ...nextPorts(),
      heartbeatMeanMs: 1000,
    });
    // Made with `kith init` so the test holds the phrase a device invite needs.
    const init = await runKith([
      'init',
      '--data',
      join(dir, 'host'),
      '--name',
      'Host',
      '--phrase-file',
      phraseFile(),
    ]);
    if (init.code !== 0) throw new Error(`kith init failed: ${init.stderr}`);
    await host.start();
    const built = await run('docker', ['build', '-t', IMAGE, '.'], {
      env: { DOCKER_BUILDKIT: '0' },
      timeoutMs: 1_500_000,
    });
    if (built.code !== 0) throw new Error(`docker build failed:\n${built.stderr}\n${built.stdout}`);
    [peerPort, webPort] = [await freePort(), await freePort()];
    stack = new Stack({
      KITH_IMAGE: IMAGE,
      KITH_PUBLISH_PEER: `127.0.0.1:${peerPort}`,
      KITH_PUBLISH_WEB: `127.0.0.1:${webPort}`,
      KITH_ANNOUNCE: `127.0.0.1:${peerPort}`,
      KITH_WEB_URL: `https://127.0.0.1:${webPort}`,
      KITH_HEARTBEAT_MEAN_MS: '1000',
      KITH_LOG_LEVEL: 'debug',
    });
    const upAt = Date.now();
    await stack.ok(['up', '-d', '--no-build'], { timeoutMs: 600_000 });
    await untilHealthy();
    // Reported, not asserted (deploy/README.md "Measured").
    console.info(`[appliance tier] up -> four healthy in ${((Date.now() - upAt) / 1000).toFixed(1)} s`);
  }, 1_800_000);

  afterAll(async () => {
    await host?.stop();
    await stack?.compose(['down', '-v', '--timeout', '20'], { timeoutMs: 300_000 });
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 600_000);

  it('waits for its owner, who creates the identity from the web UI (setup mode), phrase shown once', async () => {
    const web = await webSession(stack, `https://127.0.0.1:${webPort}`);
    expect(await web.call('GET', '/api/setup')).toEqual({ status: 200, json: { state: 'waiting' } });
    const created = await web.call('POST', '/api/setup/create', {
      name: 'Appliance',
      unlockPassphrase: UNLOCK,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    expect(created.json).toMatchObject({ phrasePending: true });
    // The same agent process goes on as the full node.
    const status = await waitFor(
      'the appliance runs as the new identity',
      () =>
        stack
          .kith<{ userId: string; deviceId: string; addresses: string[] }>('status')
          .catch(() => undefined),
      120_000,
    );
    appliance = { userId: status.userId, deviceId: status.deviceId };
    expect(appliance.userId).toBe((created.json as { userId: string }).userId);
    // What invites and address records carry: the announced address, not the container's.
    expect(status.addresses).toEqual([`127.0.0.1:${peerPort}`]);
    const revealed = await web.call('POST', '/api/identity/phrase/reveal', {});
    expect((revealed.json as { phrase: string }).phrase.split(' ')).toHaveLength(24);
    expect((await web.call('POST', '/api/identity/phrase/reveal', {})).status).toBe(404);
  }, 300_000);

  it('pairs with a node on the host and carries a message each way', async () => {
    const invite = await stack.kith<{ code: string }>('invite');
    const accepted = await host.cli<{ userId: string }>('accept', invite.code, '--yes-digits-match');
    expect(accepted.userId).toBe(appliance.userId);
    const hostStatus = await host.cli<{ userId: string }>('status');
    // Both people confirm the six digits (docs/SECURITY.md "Pairing: the six digits").
    await stack.kith('confirm', hostStatus.userId);
    await host.cli('send', '--to', appliance.userId, 'from the host to the appliance');
    await stack.kith('send', '--to', hostStatus.userId, 'from the appliance to the host');
    await waitFor('the host has both messages', async () => (await messagesAt('host')).length >= 2, 120_000);
    await waitFor(
      'the appliance has both messages',
      async () => (await messagesAt('appliance')).length >= 2,
      120_000,
    );
    const texts = (await messagesAt('appliance')).map((m) => m.text).sort();
    expect(texts).toEqual(['from the appliance to the host', 'from the host to the appliance']);
    // Pairing made the appliance the host user's relay (their signed relay list names it).
    await waitFor(
      'the appliance status shows it relays for the host user',
      async () =>
        (await stack.kith<{ relayFor: { userId: string }[] }>('status')).relayFor.some(
          (f) => f.userId === hostStatus.userId,
        ),
      120_000,
    );
    const archive = await stack.kith<{ relay: { heldFor: unknown[]; quota: { userItems: number } } }>(
      'archive',
      'status',
    );
    expect(archive.relay.quota.userItems).toBe(50_000);
  }, 360_000);

  it('`kith archive status` shows what it holds for the host user: counts and bytes, no contents', async () => {
    const hostUser = (await host.cli<{ userId: string }>('status')).userId;
    const put = await putArchiveItem();
    expect(put.sentTo).toContain(appliance.deviceId);
    const held = await waitFor(
      'the appliance holds the host user’s item',
      async () => {
        const s = await stack.kith<{ relay: RelayJson }>('archive', 'status');
        const entry = s.relay.heldFor.find((h) => h.userId === hostUser);
        return entry && entry.archive.items >= 1 ? entry : undefined;
      },
      60_000,
    );
    expect(Object.keys(held).sort()).toEqual(['archive', 'name', 'relayed', 'userId']);
    expect(held.archive.bytes).toBeGreaterThanOrEqual(put.size);
  }, 180_000);

  it('`kith web code` in the web container prints a URL that signs in', async () => {
    const base = `https://127.0.0.1:${webPort}`;
    for (const service of ['web', 'agent']) {
      const r = await stack.ok(['exec', '-T', service, 'kith', 'web', 'code', '--json']);
      const minted = JSON.parse(r.stdout.toString()) as { url: string; code: string };
      // Built on KITH_WEB_URL: the address a browser on the LAN opens, not the container's own.
      expect(minted.url).toBe(`${base}/#/signin/${minted.code}`);
      const code = minted.url.split('#/signin/')[1]!;
      const signin = await https(`${base}/web/signin`, 'POST', JSON.stringify({ code }), { origin: base });
      expect(signin.status).toBe(200);
      const cookie = String(signin.headers['set-cookie'] ?? '').split(';')[0]!;
      const session = await https(`${base}/web/session`, 'GET', undefined, { cookie });
      expect(session.status).toBe(200);
      // Once only.
      const again = await https(`${base}/web/signin`, 'POST', JSON.stringify({ code }), { origin: base });
      expect(again.status).not.toBe(200);
    }
  }, 120_000);

  it('a fresh stack is enrolled from its web page as one more of a host user’s devices, and links back', async () => {
    // The inviting "laptop" must be reachable from the containers: it listens on the address the
    // host has on Docker's default bridge (not loopback, which a container cannot reach).
    // An engine started without a bridge config (as here) lists only the subnet: its gateway is
    // the subnet's first address, as Docker assigns it.
    const ipam = JSON.parse(
      (
        await run('docker', ['network', 'inspect', 'bridge', '-f', '{{json .IPAM.Config}}'])
      ).stdout.toString(),
    ) as { Subnet?: string; Gateway?: string }[];
    const subnet = ipam[0]?.Subnet?.split('/')[0]?.split('.').map(Number);
    const gateway =
      ipam[0]?.Gateway ??
      (subnet?.length === 4 ? [...subnet.slice(0, 3), (subnet[3] ?? 0) + 1].join('.') : '');
    expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const laptopPhrase = join(dir, 'laptop-phrase.txt');
    const laptop = new KithNode({
      dataDir: join(dir, 'laptop'),
      host: gateway,
      ...nextPorts(),
      heartbeatMeanMs: 1000,
    });
    const init = await runKith(['init', '--data', laptop.dataDir, '--phrase-file', laptopPhrase]);
    expect(init.code, init.stderr).toBe(0);
    await laptop.start();
    const laptopUser = (await laptop.cli<{ userId: string }>('status')).userId;
    const [peer2, web2] = [await freePort(), await freePort()];
    const second = new Stack({
      KITH_IMAGE: IMAGE,
      KITH_PUBLISH_PEER: `127.0.0.1:${peer2}`,
      KITH_PUBLISH_WEB: `127.0.0.1:${web2}`,
      // Published on the host's loopback; the appliance dials the laptop (at the gateway) itself.
      KITH_ANNOUNCE: `127.0.0.1:${peer2}`,
      KITH_WEB_URL: `https://127.0.0.1:${web2}`,
      KITH_HEARTBEAT_MEAN_MS: '1000',
    });
    try {
      await second.ok(['up', '-d', '--no-build'], { timeoutMs: 600_000 });
      await untilHealthy(undefined, second);
      const invite = await laptop.cli<{ code: string }>('invite', '--device', '--phrase-file', laptopPhrase);
      // What a person does: sign in with the code from the web container, paste the invite.
      const web = await webSession(second, `https://127.0.0.1:${web2}`);
      const enrolled = await web.call('POST', '/api/setup/enrol', { code: invite.code });
      expect(enrolled.status, JSON.stringify(enrolled.json)).toBe(200);
      const device = enrolled.json as { userId: string; deviceId: string; sas: string };
      expect(device.userId).toBe(laptopUser);
      expect(device.sas).toMatch(/\d/);
      const status = await waitFor(
        'the enrolled appliance runs as the laptop user’s device',
        () => second.kith<{ userId: string; deviceId: string }>('status').catch(() => undefined),
        120_000,
      );
      expect(status).toMatchObject({ userId: device.userId, deviceId: device.deviceId });
      // Linked: the laptop sees its new device online, and the appliance the laptop.
      await waitFor(
        'the laptop links to the enrolled appliance',
        async () => {
          const devices =
            // The API's /identity says who is online (`kith identity` reads the log on disk).
            (
              await laptop.api<{ devices: { deviceId: string; status: string; online: boolean }[] }>(
                '/identity',
              )
            ).devices;
          return (
            devices.some((d) => d.deviceId === device.deviceId && d.status === 'active' && d.online) ||
            undefined
          );
        },
        180_000,
      );
      const laptopDevice = (await laptop.cli<{ deviceId: string }>('status')).deviceId;
      const peers = await second.kith<{ deviceId: string; online: boolean }[]>('peers');
      expect(peers.find((p) => p.deviceId === laptopDevice)?.online).toBe(true);
    } finally {
      await laptop.stop();
      await second.compose(['down', '-v', '--timeout', '20'], { timeoutMs: 300_000 });
    }
  }, 900_000);

  it('gives strangers on the peer port zero bytes', async () => {
    expect(await probe(peerPort, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toBe(0);
    expect(await probe(peerPort, 'SSH-2.0-OpenSSH_9.6\r\n')).toBe(0);
  });

  it('answers on the web port with the agent’s health', async () => {
    // Off loopback the web part serves HTTPS with the certificate it made at first start.
    const health = await https(`https://127.0.0.1:${webPort}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ ok: true });
    const page = await https(`https://127.0.0.1:${webPort}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Kith</title>');
  });

  it('keeps the API token out of docker inspect', async () => {
    const token = (await stack.ok(['exec', '-T', 'agent', 'cat', '/data/api-token'])).stdout
      .toString()
      .trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    const ids = Object.values(await stack.containerIds());
    const inspected = (await run('docker', ['inspect', ...ids])).stdout.toString();
    expect(inspected).not.toContain(token);
    const password = (await stack.ok(['exec', '-T', 'db', 'cat', '/run/kith-db/password'])).stdout
      .toString()
      .trim();
    expect(inspected).not.toContain(password);
  });

  it('after a restart it is locked: it keeps a friend’s message and holds an archive item, opens nothing until unlocked from the web part', async () => {
    await stack.ok(['down', '--timeout', '20'], { timeoutMs: 300_000 });
    await stack.ok(['up', '-d', '--no-build'], { timeoutMs: 600_000 });
    await untilHealthy();
    const status = await stack.kith<{ userId: string; deviceId: string; locked: boolean }>('status');
    expect(status).toMatchObject({ ...appliance, locked: true });
    // Locked, it relays and stores for its friend: a message and a new archive item arrive.
    const hostUser = (await host.cli<{ userId: string }>('status')).userId;
    const heldBefore = await heldItems(hostUser);
    await host.cli('send', '--to', appliance.userId, 'while the appliance is locked');
    await putArchiveItem();
    await waitFor(
      'the locked appliance holds the new item',
      async () => (await heldItems(hostUser)) > heldBefore,
      120_000,
    );
    // ...and opens nothing: no message reads while the keys are closed.
    const refused = await stack.compose(['exec', '-T', 'agent', 'kith', 'messages', '--json']);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout.toString()).toMatch(/"code": ?"NODE_LOCKED"/);
    // The owner unlocks from the web page (the Unlock screen's call): the message kept is read.
    const web = await webSession(stack, `https://127.0.0.1:${webPort}`);
    expect(
      (await web.call('POST', '/api/unlock', { passphrase: 'not the passphrase' })).status,
    ).toBeGreaterThanOrEqual(400);
    const unlocked = await web.call('POST', '/api/unlock', { passphrase: UNLOCK });
    expect(unlocked).toMatchObject({ status: 200, json: { locked: false } });
    await waitFor(
      'the message kept while locked is read after the unlock',
      async () => (await messagesAt('appliance')).some((m) => m.text === 'while the appliance is locked'),
      120_000,
    );
    expect((await messagesAt('appliance')).length).toBe(3);
  }, 600_000);

  it('backup -> down -v -> restore loses nothing', async () => {
    const backup = await stack.ok(
      ['exec', '-T', 'agent', 'kith', 'backup', '--out', '-', '--passphrase-file', '/dev/stdin'],
      {
        input: `${PASSPHRASE}\n`,
      },
    );
    expect(backup.stdout.subarray(0, 30).toString()).toContain('"format":"kith-backup"');
    const file = join(dir, 'kith.backup');
    await writeFile(file, backup.stdout);
    await chmod(dir, 0o755);
    await chmod(file, 0o644); // ciphertext; the container's user reads it through a bind mount

    await stack.ok(['down', '-v', '--timeout', '20'], { timeoutMs: 300_000 });
    await stack.ok(['up', '-d', '--no-build', 'db'], { timeoutMs: 300_000 });
    await untilHealthy(['db']);
    const restored = await stack.ok(
      [
        'run',
        '--rm',
        '-T',
        '-v',
        `${dir}:/backup:ro`,
        'agent',
        'restore',
        '/backup/kith.backup',
        '--passphrase-file',
        '/dev/stdin',
        '--json',
      ],
      { input: `${PASSPHRASE}\n`, timeoutMs: 300_000 },
    );
    expect(JSON.parse(restored.stdout.toString())).toMatchObject(appliance);
    await stack.ok(['up', '-d', '--no-build'], { timeoutMs: 600_000 });
    await untilHealthy();

    // The restored key file is the same sealed one: locked until unlocked (here with `kith unlock`).
    expect(await stack.kith('status')).toMatchObject({ ...appliance, locked: true });
    await stack.ok(['exec', '-T', 'agent', 'kith', 'unlock', '--passphrase-file', '/dev/stdin', '--json'], {
      input: `${UNLOCK}\n`,
    });
    const hostUser = (await host.cli<{ userId: string }>('status')).userId;
    expect((await stack.kith<{ userId: string }[]>('friends')).map((f) => f.userId)).toEqual([hostUser]);
    expect((await messagesAt('appliance')).map((m) => m.text).sort()).toEqual([
      'from the appliance to the host',
      'from the host to the appliance',
      'while the appliance is locked',
    ]);
    // The host's node finds the restored appliance again and a new message arrives.
    await host.cli('send', '--to', appliance.userId, 'after the restore');
    await waitFor(
      'the restored appliance received a new message',
      async () => (await messagesAt('appliance')).some((m) => m.text === 'after the restore'),
      120_000,
    );
  }, 900_000);
});

/** Signs in to a stack's web UI with a code from its web container; calls go through the web part. */
async function webSession(of: Stack, base: string) {
  const minted = JSON.parse(
    (await of.ok(['exec', '-T', 'web', 'kith', 'web', 'code', '--json'])).stdout.toString(),
  ) as { code: string };
  const signin = await https(`${base}/web/signin`, 'POST', JSON.stringify({ code: minted.code }), {
    origin: base,
  });
  if (signin.status !== 200) throw new Error(`sign-in refused: ${signin.status} ${signin.body}`);
  const cookie = String(signin.headers['set-cookie'] ?? '').split(';')[0]!;
  return {
    async call(method: string, path: string, body?: unknown) {
      const r = await https(`${base}${path}`, method, body === undefined ? undefined : JSON.stringify(body), {
        cookie,
        origin: base,
      });
      return { status: r.status, json: r.body ? (JSON.parse(r.body) as unknown) : undefined };
    },
  };
}

/** A request over HTTPS without checking the certificate (the appliance's own, self-signed). */
function https(
  url: string,
  method = 'GET',
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        rejectUnauthorized: false,
        timeout: 10_000,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.end(body);
  });
}
