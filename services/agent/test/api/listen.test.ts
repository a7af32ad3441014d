import { existsSync, readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  createTestDatabase,
  type TestDatabaseTarget,
  testDatabaseKinds,
} from '../../../../test/helpers/database.ts';
import { API_INFO_FILE, type Agent, buildAgent } from '../../src/app.ts';
import type { AgentService } from '../../src/components.ts';
import type { KithDatabase } from '@kith/db/database';
import { createLogger } from '../../src/logger.ts';
import { buildTestAgent, testConfig } from './harness.ts';

const [kind] = testDatabaseKinds();

describe(`a started agent listens on 127.0.0.1 (${kind})`, () => {
  let target: TestDatabaseTarget;
  let database: KithDatabase;
  let agent: Agent;
  const lifecycle: string[] = [];
  const service = (name: string): AgentService => ({
    name,
    start: async () => {
      lifecycle.push(`start ${name}`);
    },
    stop: async () => {
      lifecycle.push(`stop ${name}`);
    },
  });

  beforeAll(async () => {
    target = await createTestDatabase(kind!);
    database = await target.open();
    await database.migrate();
    agent = await buildTestAgent({
      dataDir: target.dataDir,
      database,
      services: [service('links'), service('heartbeats')],
    });
    await agent.start();
  });
  afterAll(async () => {
    await agent?.stop();
    await database?.close();
    await target?.dispose();
  });

  it('answers HTTP on its loopback address and writes DATA/api.json', async () => {
    expect(agent.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const info = JSON.parse(readFileSync(join(target.dataDir, API_INFO_FILE), 'utf8'));
    expect(info).toEqual({ url: agent.apiUrl, pid: process.pid });
    const health = await fetch(`${agent.apiUrl}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, database: kind });
    expect((await fetch(`${agent.apiUrl}/api/log-level`)).status).toBe(401);
    const authed = await fetch(`${agent.apiUrl}/api/log-level`, {
      headers: { authorization: `Bearer ${agent.apiToken}` },
    });
    expect(await authed.json()).toEqual({ level: 'silent' });
  });

  it('streams events over a real WebSocket (?token=), and refuses one without the token', async () => {
    const wsUrl = `${agent.apiUrl!.replace('http', 'ws')}/api/events`;
    const socket = new WebSocket(`${wsUrl}?token=${encodeURIComponent(agent.apiToken)}`);
    const frames: { type: string; data: Record<string, unknown> }[] = [];
    const got = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (frames.length >= n ? resolve() : socket.once('message', check));
        socket.on('message', (d) => frames.push(JSON.parse(String(d))));
        check();
      });
    await got(1);
    expect(frames[0]!.type).toBe('stream.ready');
    agent.events.publish('invite.used', { inviteId: 'I1' });
    await got(2);
    expect(frames[1]).toMatchObject({ type: 'invite.used', data: { inviteId: 'I1' } });
    socket.close();

    const refused = new WebSocket(wsUrl);
    const status = await new Promise<number>((resolve) => {
      refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      refused.on('open', () => resolve(101));
    });
    expect(status).toBe(401);
  });

  it("sends the events published in one go in one write, in order (one batch's message.received)", async () => {
    const socket = new WebSocket(`${agent.apiUrl!.replace('http', 'ws')}/api/events`, {
      headers: { authorization: `Bearer ${agent.apiToken}` },
    });
    const types: string[] = [];
    socket.on('message', (d) => types.push((JSON.parse(String(d)) as { type: string }).type));
    await new Promise<void>((resolve) => {
      const check = () => (types.length >= 1 ? resolve() : setTimeout(check, 5));
      check();
    });
    // The agent's side of this socket: count the writes Node hands to it.
    const clientPort = (socket as unknown as { _socket: Socket })._socket.localPort;
    const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
    const original = { _write: proto._write!, _writev: proto._writev! };
    let writes = 0;
    for (const m of ['_write', '_writev'] as const) {
      proto[m] = function (this: Socket, ...a: unknown[]) {
        if (this.remotePort === clientPort) writes++;
        return original[m].apply(this, a);
      };
    }
    try {
      for (let i = 0; i < 20; i++) agent.events.publish(`test.${i}`, { i });
      await new Promise<void>((resolve) => {
        const check = () => (types.length >= 21 ? resolve() : setTimeout(check, 5));
        check();
      });
    } finally {
      Object.assign(proto, original);
      socket.close();
    }
    expect(types.slice(1)).toEqual(Array.from({ length: 20 }, (_, i) => `test.${i}`));
    expect(writes).toBe(1);
  });

  it('started its services in order', () => {
    expect(lifecycle).toEqual(['start links', 'start heartbeats']);
  });

  it('stop closes the API, removes api.json and stops services in reverse order', async () => {
    const url = agent.apiUrl!;
    await agent.stop();
    expect(lifecycle).toEqual(['start links', 'start heartbeats', 'stop heartbeats', 'stop links']);
    expect(existsSync(join(target.dataDir, API_INFO_FILE))).toBe(false);
    expect(agent.apiUrl).toBeUndefined();
    await expect(fetch(`${url}/api/health`)).rejects.toThrow();
    await agent.stop(); // idempotent
  });

  it('a taken API port gives ADDRESS_IN_USE and leaves nothing running', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const stopped: string[] = [];
    try {
      const second = await buildAgent({
        config: testConfig(target.dataDir, { KITH_API_PORT: String(port) }),
        components: {
          db: database,
          logger: createLogger({ level: 'silent' }),
          clock: () => 0,
          random: (n) => new Uint8Array(n).fill(7),
        },
        services: [{ name: 'links', start: async () => {}, stop: async () => void stopped.push('links') }],
      });
      await expect(second.start()).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
      expect(stopped).toEqual(['links']);
    } finally {
      blocker.close();
    }
  });
});
