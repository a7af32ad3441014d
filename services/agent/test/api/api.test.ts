import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KithError } from '@kith/core/errors';
import Type from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import {
  createTestDatabase,
  type TestDatabaseTarget,
  testDatabaseKinds,
} from '../../../../test/helpers/database.ts';
import type { ApiPlugin } from '../../src/api/context.ts';
import { AGENT_VERSION, type Agent } from '../../src/app.ts';
import type { KithDatabase } from '@kith/db/database';
import { buildTestAgent } from './harness.ts';

/** An extension plugin, registered the way identity/friends/peers routes will be. */
const probeRoutes: ApiPlugin = async (app) => {
  app.post(
    '/probe/echo',
    {
      schema: {
        body: Type.Object(
          { name: Type.String({ minLength: 1 }), count: Type.Integer({ minimum: 0 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => ({ name: request.body.name, count: request.body.count, db: app.kith.db.kind }),
  );
  app.get('/probe/revoked', async () => {
    throw new KithError('DEVICE_REVOKED', 'Device D1 was revoked.');
  });
  app.get('/probe/crash', async () => {
    throw new Error('internal detail 0xdeadbeef');
  });
};

type Frame = { type: string; at: number; data: Record<string, unknown> };

/**
 * Frames of a socket in arrival order. Attached in `onInit`, before the upgrade completes,
 * so the server's first frame (sent right after the upgrade) cannot be missed.
 */
function frameQueue() {
  const frames: Frame[] = [];
  const waiting: ((f: Frame) => void)[] = [];
  return {
    onInit(socket: WebSocket) {
      socket.on('message', (data) => {
        const frame = JSON.parse(String(data)) as Frame;
        const w = waiting.shift();
        if (w) w(frame);
        else frames.push(frame);
      });
    },
    next(): Promise<Frame> {
      const f = frames.shift();
      return f ? Promise.resolve(f) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

for (const kind of testDatabaseKinds()) {
  describe(`local API on ${kind} (inject)`, () => {
    let target: TestDatabaseTarget;
    let database: KithDatabase;
    let agent: Agent;
    let auth: { authorization: string };

    beforeAll(async () => {
      target = await createTestDatabase(kind);
      database = await target.open();
      await database.migrate();
      agent = await buildTestAgent({ dataDir: target.dataDir, database, plugins: [probeRoutes] });
      auth = { authorization: `Bearer ${agent.apiToken}` };
    });
    afterAll(async () => {
      await agent?.stop();
      await database?.close();
      await target?.dispose();
    });

    it('GET /api/health needs no token and names the database', async () => {
      const res = await agent.api.inject({ method: 'GET', url: '/api/health' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ ok: true, version: AGENT_VERSION, database: kind });
    });

    it('every other route answers 401 without the token, with the error shape', async () => {
      for (const url of ['/api/log-level', '/api/probe/revoked', '/api/no-such-route']) {
        const res = await agent.api.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(401);
        expect(res.headers['www-authenticate']).toContain('Bearer');
        expect(res.json()).toEqual({
          error: { code: 'API_UNAUTHORIZED', message: expect.stringContaining('api-token') },
        });
      }
    });

    it('a wrong token, a malformed header or a ?token= on a plain route is refused', async () => {
      const wrong = `${agent.apiToken.slice(0, -1)}${agent.apiToken.endsWith('A') ? 'B' : 'A'}`;
      for (const request of [
        { headers: { authorization: `Bearer ${wrong}` } },
        { headers: { authorization: agent.apiToken } },
        { headers: { authorization: `Basic ${agent.apiToken}` } },
        { query: { token: agent.apiToken } },
      ]) {
        const res = await agent.api.inject({ method: 'GET', url: '/api/log-level', ...request });
        expect(res.statusCode).toBe(401);
      }
    });

    it('with the token, routes answer; unknown ones give NOT_FOUND', async () => {
      const ok = await agent.api.inject({ method: 'GET', url: '/api/log-level', headers: auth });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ level: 'silent' });
      const missing = await agent.api.inject({ method: 'GET', url: '/api/no-such-route?x=1', headers: auth });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({
        error: { code: 'NOT_FOUND', message: 'Nothing was found there. No route GET /api/no-such-route.' },
      });
    });

    it('a body that fails its schema gives 400 INVALID_INPUT with a clear message', async () => {
      const cases: [string, string | object | undefined, RegExp][] = [
        ['/api/log-level', { level: 'loud' }, /level/],
        ['/api/log-level', { level: 'info', extra: 1 }, /extra|additional/i],
        ['/api/log-level', undefined, /body/i],
        ['/api/log-level', '{"level":', /JSON|body/i],
      ];
      for (const [url, payload, mentions] of cases) {
        const res = await agent.api.inject({
          method: 'PUT',
          url,
          headers: { ...auth, 'content-type': 'application/json' },
          ...(payload === undefined ? {} : { payload }),
        });
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        const body = res.json() as { error: { code: string; message: string } };
        expect(body.error.code).toBe('INVALID_INPUT');
        expect(body.error.message).toMatch(/^The input is not valid\. /);
        expect(body.error.message).toMatch(mentions);
      }
      const echo = await agent.api.inject({
        method: 'POST',
        url: '/api/probe/echo',
        headers: auth,
        payload: { name: 'x', count: '3' },
      });
      expect(echo.statusCode).toBe(400);
      expect(echo.json().error.message).toContain('body/count');
    });

    it('a valid body reaches the route (log level changes at runtime)', async () => {
      const put = await agent.api.inject({
        method: 'PUT',
        url: '/api/log-level',
        headers: auth,
        payload: { level: 'debug' },
      });
      expect(put.json()).toEqual({ level: 'debug' });
      expect(agent.components.logger.level).toBe('debug');
      const get = await agent.api.inject({ method: 'GET', url: '/api/log-level', headers: auth });
      expect(get.json()).toEqual({ level: 'debug' });
      agent.components.logger.level = 'silent';
      const echo = await agent.api.inject({
        method: 'POST',
        url: '/api/probe/echo',
        headers: auth,
        payload: { name: 'x', count: 3 },
      });
      expect(echo.json()).toEqual({ name: 'x', count: 3, db: kind });
    });

    it('a KithError becomes its catalogue status and code; anything else INTERNAL, without its detail', async () => {
      const revoked = await agent.api.inject({ method: 'GET', url: '/api/probe/revoked', headers: auth });
      expect(revoked.statusCode).toBe(403);
      expect(revoked.json()).toEqual({
        error: { code: 'DEVICE_REVOKED', message: 'The device has been revoked. Device D1 was revoked.' },
      });
      const crash = await agent.api.inject({ method: 'GET', url: '/api/probe/crash', headers: auth });
      expect(crash.statusCode).toBe(500);
      expect(crash.json()).toEqual({
        error: { code: 'INTERNAL', message: 'Something went wrong inside Kith.' },
      });
    });

    it('serves the OpenAPI document at /api/docs to token holders only, listing the routes', async () => {
      // Without the token the document (which lists every route) is refused like any route.
      for (const url of ['/api/docs/json', '/api/docs/yaml']) {
        const refused = await agent.api.inject({ method: 'GET', url });
        expect(refused.statusCode).toBe(401);
        expect(refused.json().error.code).toBe('API_UNAUTHORIZED');
        expect(refused.body).not.toContain('/api/log-level');
      }
      const res = await agent.api.inject({ method: 'GET', url: '/api/docs/json', headers: auth });
      expect(res.statusCode).toBe(200);
      const doc = res.json() as {
        openapi: string;
        paths: Record<string, unknown>;
        components: Record<string, unknown>;
      };
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/api/health', '/api/log-level', '/api/probe/echo']),
      );
      // @fastify/websocket hides WebSocket routes from OpenAPI; the description names it instead.
      expect(JSON.stringify(doc)).toContain('/api/events');
      expect(JSON.stringify(doc.components)).toContain('bearer');
      // The UI's pages are public and name no route; the page sends the token from its fragment.
      const ui = await agent.api.inject({ method: 'GET', url: '/api/docs/' });
      expect(ui.statusCode).toBe(200);
      expect(ui.headers['content-type']).toContain('text/html');
      expect(ui.body).not.toContain('/api/log-level');
      const init = await agent.api.inject({ method: 'GET', url: '/api/docs/static/swagger-initializer.js' });
      expect(init.statusCode).toBe(200);
      expect(init.body).toContain('kith-api-token');
      expect(init.body).not.toContain('/api/log-level');
    });

    it('the events stream delivers published events to a socket holding the token', async () => {
      const frames = frameQueue();
      const socket = await agent.api.injectWS('/api/events', { headers: auth }, { onInit: frames.onInit });
      try {
        expect((await frames.next()).type).toBe('stream.ready');
        agent.events.publish('peer.online', { deviceId: 'D1' });
        expect(await frames.next()).toEqual({
          type: 'peer.online',
          at: 1_700_000_000_000,
          data: { deviceId: 'D1' },
        });
      } finally {
        socket.terminate();
      }
    });

    it('the events stream takes ?token= too, and refuses a socket without the right token', async () => {
      const frames = frameQueue();
      const url = `/api/events?token=${encodeURIComponent(agent.apiToken)}`;
      const socket = await agent.api.injectWS(url, {}, { onInit: frames.onInit });
      expect((await frames.next()).type).toBe('stream.ready');
      socket.terminate();
      await expect(agent.api.injectWS('/api/events')).rejects.toThrow(/401/);
      await expect(agent.api.injectWS('/api/events?token=wrong')).rejects.toThrow(/401/);
    });

    it('keeps the token in DATA/api-token (0600) and reuses it on the next build', async () => {
      const path = join(target.dataDir, 'api-token');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect((await readFile(path, 'utf8')).trim()).toBe(agent.apiToken);
      expect(agent.apiToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const again = await buildTestAgent({ dataDir: target.dataDir, database });
      expect(again.apiToken).toBe(agent.apiToken);
      await again.api.close();
    });
  });
}
