/**
 * The web part against a real agent (its API on 127.0.0.1, PGlite): sign-in, the cookie's flags,
 * the Origin check, the route allow-list, revocation, and HTTPS with the certificate whose
 * fingerprint `kith web code` shows.
 */
import type { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../agent/src/app.ts';
import type { KithDatabase } from '@kith/db/database';
import { setupRoutes } from '../../agent/src/api/routes/setup.ts';
import { buildTestAgent } from '../../agent/test/api/harness.ts';
import { createTestDatabase, makeTempDir, type TestDatabaseTarget } from '../../../test/helpers/database.ts';
import { fixedAgent } from '../src/agent-link.ts';
import { type RunningWebServer, startWebServer } from '../src/server.ts';

describe('web part', () => {
  let target: TestDatabaseTarget;
  let database: KithDatabase;
  let agent: Agent;
  let web: RunningWebServer;
  let staticDir: string;

  beforeAll(async () => {
    target = await createTestDatabase('pglite');
    database = await target.open();
    await database.migrate();
    agent = await buildTestAgent({
      dataDir: target.dataDir,
      database,
      now: Date.now,
      // A node past setup: its setup routes answer SETUP_DONE.
      plugins: [setupRoutes({ userId: 'u', deviceId: 'd' })],
    });
    await agent.start();
    staticDir = await makeTempDir('kith-web-static-');
    web = await startWebServer({
      host: '127.0.0.1',
      port: 0,
      dataDir: target.dataDir,
      agent: fixedAgent({ url: agent.apiUrl!, token: agent.apiToken }),
      staticDir,
    });
  }, 300_000); // PGlite and migrations on a busy two-core machine can take minutes.

  afterAll(async () => {
    await web?.close();
    await agent?.stop();
    await database?.close();
  });

  const code = async () => (await (await agentPost('/api/web/codes', {})).json()) as { code: string };
  const agentPost = (path: string, body: unknown) =>
    fetch(`${agent.apiUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agent.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${web.url}${path}`, {
      method: 'POST',
      headers: { origin: web.url, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  async function signIn(): Promise<string> {
    const res = await post('/web/signin', { code: (await code()).code });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      /^kith_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
    );
    return cookie.split(';')[0]!;
  }

  it('serves plain HTTP on loopback, writes web.json, and sends the security headers', async () => {
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(web.fingerprint).toBeNull();
    expect(JSON.parse(await readFile(join(target.dataDir, 'web.json'), 'utf8'))).toMatchObject({
      url: web.url,
    });
    const res = await fetch(`${web.url}/`);
    expect(res.status).toBe(503); // nothing built in this static dir
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('forwards allowed routes for a session only, never the agent’s own web routes', async () => {
    expect((await fetch(`${web.url}/api/health`)).status).toBe(401);
    const cookie = await signIn();
    const health = await fetch(`${web.url}/api/health`, { headers: { cookie } });
    expect(await health.json()).toMatchObject({ ok: true });
    const refused = await fetch(`${web.url}/api/web/sessions`, { headers: { cookie } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('WEB_ROUTE_REFUSED');
    expect((await fetch(`${web.url}/api/log-level`, { headers: { cookie } })).status).toBe(403);
  });

  it('forwards the backup download and streams a restore upload through', async () => {
    const cookie = await signIn();
    // Forwarded as a stream (the download itself: test/browser/ui.browser.test.ts); this test
    // agent has no backup route, so its own 404 comes back, not the web part's 403.
    const backup = await post('/api/backup', { passphrase: 'a passphrase' }, { cookie });
    expect(backup.status).toBe(404);
    // A running node is past setup: the upload streams on and the agent's SETUP_DONE comes back.
    const upload = await fetch(`${web.url}/api/setup/restore`, {
      method: 'POST',
      headers: {
        cookie,
        origin: web.url,
        'content-type': 'application/octet-stream',
        'kith-backup-passphrase': Buffer.from('x').toString('base64url'),
      },
      body: new Uint8Array(64 * 1024),
    });
    expect(upload.status).toBe(409);
    expect(((await upload.json()) as { error: { code: string } }).error.code).toBe('SETUP_DONE');
    // Not JSON's way in: a JSON body is refused before the agent sees it.
    const asJson = await post('/api/setup/restore', {}, { cookie });
    expect(asJson.status).toBe(400);
    // Raw archive blobs stay refused.
    expect((await fetch(`${web.url}/api/archive/blobs/00`, { headers: { cookie } })).status).toBe(403);
  });

  it('refuses a state change from another origin, or with none', async () => {
    const cookie = await signIn();
    const evil = await post('/web/signout', {}, { cookie, origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { error: { code: string } }).error.code).toBe('WEB_ORIGIN_REFUSED');
    const none = await fetch(`${web.url}/web/signout`, { method: 'POST', headers: { cookie } });
    expect(none.status).toBe(403);
    // Still signed in: nothing happened.
    expect((await fetch(`${web.url}/web/session`, { headers: { cookie } })).status).toBe(200);
  });

  it('a wrong code is refused, and a revoked session stops working at once', async () => {
    const wrong = await post('/web/signin', { code: 'AAAAAAAAAA' });
    expect(wrong.status).toBe(401);
    const cookie = await signIn();
    const other = await signIn();
    const list = (await (await fetch(`${web.url}/web/sessions`, { headers: { cookie } })).json()) as {
      id: string;
      current: boolean;
    }[];
    const mine = list.find((s) => s.current)!;
    const res = await fetch(`${web.url}/web/sessions/${mine.id}`, {
      method: 'DELETE',
      headers: { cookie: other, origin: web.url },
    });
    expect(res.status).toBe(200);
    expect((await fetch(`${web.url}/api/health`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${web.url}/api/health`, { headers: { cookie: other } })).status).toBe(200);
  });

  it('off loopback: HTTPS with a self-signed certificate whose fingerprint it reports', async () => {
    const dataDir = await makeTempDir('kith-web-tls-');
    const tls = await startWebServer({
      host: '0.0.0.0',
      port: 0,
      dataDir,
      agent: fixedAgent({ url: agent.apiUrl!, token: agent.apiToken }),
      staticDir,
    });
    try {
      expect(tls.url).toMatch(/^https:\/\//);
      const port = new URL(tls.url).port;
      const cert = await new Promise<X509Certificate>((resolve, reject) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port, path: '/web/session', rejectUnauthorized: false },
          (res) => {
            const peer = (res.socket as import('node:tls').TLSSocket).getPeerX509Certificate()!;
            res.resume();
            resolve(peer);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(cert.fingerprint256).toBe(tls.fingerprint);
      expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
      expect(cert.verify(cert.publicKey)).toBe(true);
      expect(
        (await readFile(join(dataDir, 'web-tls', 'key.pem'), 'utf8')).startsWith('-----BEGIN PRIVATE KEY'),
      ).toBe(true);
    } finally {
      await tls.close();
    }
  });
});
