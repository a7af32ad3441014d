/**
 * Appliance tier (docs/ARCHITECTURE.md "Test tiers"): the real image and docker-compose.yml.
 * Builds the image, brings the stack up with its ports published on 127.0.0.1 only, waits for
 * four healthy containers, pairs the appliance with a `kith up` node on this machine, sends a
 * message each way, probes the peer port as a stranger and the web port as a browser, restarts
 * the stack, then backup -> `down -v` -> restore, and tears everything down.
 * Runs when a Docker engine answers (CI starts one with docker-standins); skipped otherwise,
 * unless KITH_APPLIANCE_REQUIRED=1 (CI), where a missing engine fails.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KithNode, nextPorts, waitFor } from '../helpers/cluster.ts';
import { Stack, engineProblem, freePort, run } from './compose.ts';

const problem = engineProblem();
if (problem) {
  if (process.env.KITH_APPLIANCE_REQUIRED === '1') throw new Error(`appliance tier: ${problem}`);
  console.info(`[appliance tier] skipped: ${problem}`);
}

const IMAGE = process.env.KITH_APPLIANCE_IMAGE ?? 'kith:appliance-test';
const PASSPHRASE = 'a backup passphrase for the appliance test';

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

  async function untilHealthy(services = ['db', 'agent', 'consensus', 'web']) {
    try {
      await waitFor(
        `${services.join(', ')} healthy`,
        async () => {
          const h = await stack.health();
          return services.every((s) => h[s] === 'healthy') ? h : undefined;
        },
        240_000,
        1000,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${await stack.logs()}`);
    }
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

  it('made its identity at first start, with no terminal', async () => {
    const status = await stack.kith<{ userId: string; deviceId: string; addresses: string[] }>('status');
    appliance = { userId: status.userId, deviceId: status.deviceId };
    // What invites and address records carry: the announced address, not the container's.
    expect(status.addresses).toEqual([`127.0.0.1:${peerPort}`]);
  });

  it('pairs with a node on the host and carries a message each way', async () => {
    const invite = await stack.kith<{ code: string }>('invite');
    const accepted = await host.cli<{ userId: string }>('accept', invite.code);
    expect(accepted.userId).toBe(appliance.userId);
    const hostStatus = await host.cli<{ userId: string }>('status');
    await host.cli('send', '--to', appliance.userId, 'from the host to the appliance');
    await stack.kith('send', '--to', hostStatus.userId, 'from the appliance to the host');
    await waitFor('the host has both messages', async () => (await messagesAt('host')).length >= 2, 60_000);
    await waitFor(
      'the appliance has both messages',
      async () => (await messagesAt('appliance')).length >= 2,
      60_000,
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
      60_000,
    );
    const archive = await stack.kith<{ relay: { heldFor: unknown[]; quota: { userItems: number } } }>(
      'archive',
      'status',
    );
    expect(archive.relay.quota.userItems).toBe(50_000);
  }, 180_000);

  it('gives strangers on the peer port zero bytes', async () => {
    expect(await probe(peerPort, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toBe(0);
    expect(await probe(peerPort, 'SSH-2.0-OpenSSH_9.6\r\n')).toBe(0);
  });

  it('answers on the web port with the agent’s health', async () => {
    // Off loopback the web part serves HTTPS with the certificate it made at first start.
    const health = await httpsGet(`https://127.0.0.1:${webPort}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ ok: true });
    const page = await httpsGet(`https://127.0.0.1:${webPort}/`);
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

  it('finds everything again after the stack restarts', async () => {
    await stack.ok(['down', '--timeout', '20'], { timeoutMs: 300_000 });
    await stack.ok(['up', '-d', '--no-build'], { timeoutMs: 600_000 });
    await untilHealthy();
    const status = await stack.kith<{ userId: string; deviceId: string }>('status');
    expect(status).toMatchObject(appliance);
    expect((await messagesAt('appliance')).length).toBe(2);
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

    expect(await stack.kith('status')).toMatchObject(appliance);
    const hostUser = (await host.cli<{ userId: string }>('status')).userId;
    expect((await stack.kith<{ userId: string }[]>('friends')).map((f) => f.userId)).toEqual([hostUser]);
    expect((await messagesAt('appliance')).map((m) => m.text).sort()).toEqual([
      'from the appliance to the host',
      'from the host to the appliance',
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

/** GET over HTTPS without checking the certificate (the appliance's own, self-signed). */
function httpsGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
  });
}
