/**
 * The web part (`kith web`, in-process in `kith up`; docs/ARCHITECTURE.md "Web UI"): serves the
 * built app on the web port and passes a signed-in browser's calls on to the agent with the
 * agent's token, which never reaches the browser. HTTPS with a self-signed certificate on a LAN
 * address; plain HTTP on loopback only.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KithError, isKithError } from '@kith/core/errors';
import { WebSocket, WebSocketServer } from 'ws';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BACKUP_PASSPHRASE_HEADER } from '@kith/api/schemas/control';
import { type AgentLink, AgentAnswer, agentCall, agentStream, agentUpload } from './agent-link.ts';
import { allowedRoute, STREAMED_ROUTES, UPLOAD_ROUTES } from './allowlist.ts';
import { clearedCookie, sessionCookie, sessionSecretOf } from './cookies.ts';
import { isLoopback, publicHost, tlsNames } from './hosts.ts';
import { originAllowed, securityHeaders } from './security-headers.ts';
import { DEFAULT_STATIC_DIR, serveStatic } from './static-files.ts';
import { loadOrCreateTls } from './tls.ts';

export const WEB_INFO_FILE = 'web.json';
const BODY_LIMIT = 1 << 20;

export interface WebServerOptions {
  host: string;
  port: number;
  dataDir: string;
  agent: AgentLink;
  staticDir?: string;
  /** Where problems are told (stderr lines in the CLI). */
  warn?: (message: string) => void;
}

export interface WebInfo {
  url: string;
  fingerprint: string | null;
  pid: number;
}

export interface RunningWebServer extends WebInfo {
  close(): Promise<void>;
}

interface Session {
  id: string;
}

export async function startWebServer(options: WebServerOptions): Promise<RunningWebServer> {
  const { agent, dataDir } = options;
  const staticDir = options.staticDir ?? DEFAULT_STATIC_DIR;
  const secure = !isLoopback(options.host);
  const scheme = secure ? 'https' : 'http';
  const tls = secure ? await loadOrCreateTls(dataDir, tlsNames(options.host)) : null;
  const sockets = new Map<string, Set<WebSocket>>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });

  async function sessionOf(req: IncomingMessage): Promise<Session> {
    const secret = sessionSecretOf(req.headers.cookie);
    if (!secret) throw new KithError('WEB_SESSION_INVALID');
    try {
      return await agentCall<Session>(agent, 'POST', '/api/web/sessions/check', { secret });
    } catch (e) {
      if (e instanceof AgentAnswer && e.status === 401) throw new KithError('WEB_SESSION_INVALID');
      throw e;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(securityHeaders())) res.setHeader(k, v);
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://web.invalid');
    const path = url.pathname;
    const reading = method === 'GET' || method === 'HEAD';
    if (!reading && !originAllowed(req.headers.origin, scheme, req.headers.host))
      throw new KithError('WEB_ORIGIN_REFUSED');

    // The container health check (bin/healthcheck.mjs): up, and the agent behind it answers.
    if (path === '/healthz' && reading) {
      const ok = await agentCall(agent, 'GET', '/api/health').then(
        () => true,
        () => false,
      );
      return json(res, ok ? 200 : 503, { ok });
    }

    if (path === '/web/signin' && method === 'POST') {
      const body = (await readJson(req)) as { code?: unknown };
      if (typeof body.code !== 'string')
        throw new KithError('INVALID_INPUT', 'Give the sign-in code as "code".');
      const agentName = String(req.headers['user-agent'] ?? '').slice(0, 200);
      const { session, secret } = await agentCall<{ session: Session; secret: string }>(
        agent,
        'POST',
        '/api/web/sessions',
        { code: body.code, agent: agentName },
      );
      res.setHeader('set-cookie', sessionCookie(secret, secure));
      return json(res, 200, { session });
    }
    if (path === '/web/signout' && method === 'POST') {
      const session = await sessionOf(req);
      await agentCall(agent, 'DELETE', `/api/web/sessions/${encodeURIComponent(session.id)}`);
      closeSockets(session.id);
      res.setHeader('set-cookie', clearedCookie(secure));
      return json(res, 200, { signedOut: true });
    }
    if (path === '/web/session' && reading) {
      const session = await sessionOf(req);
      return json(res, 200, { session, scheme, fingerprint: tls?.fingerprint ?? null });
    }
    if (path === '/web/sessions' && reading) {
      const session = await sessionOf(req);
      const list = await agentCall<Session[]>(agent, 'GET', '/api/web/sessions');
      return json(
        res,
        200,
        list.map((s) => ({ ...s, current: s.id === session.id })),
      );
    }
    const revoke = /^\/web\/sessions\/([A-Za-z0-9_-]{1,64})$/.exec(path);
    if (revoke && method === 'DELETE') {
      await sessionOf(req);
      await agentCall(agent, 'DELETE', `/api/web/sessions/${revoke[1]}`);
      closeSockets(revoke[1]!);
      return json(res, 200, { revoked: true });
    }
    if (path.startsWith('/api/')) {
      await sessionOf(req);
      if (!allowedRoute(method, path)) throw new KithError('WEB_ROUTE_REFUSED');
      if (STREAMED_ROUTES.includes(path)) return download(req, res, method, path);
      if (UPLOAD_ROUTES.includes(path)) return upload(req, res, path);
      return proxy(req, res, method, `${path}${url.search}`);
    }
    if (path.startsWith('/web/')) throw new KithError('NOT_FOUND');
    if (!reading) throw new KithError('NOT_FOUND');
    await serveStatic(staticDir, path, res, method === 'HEAD');
  }

  async function proxy(req: IncomingMessage, res: ServerResponse, method: string, target: string) {
    const hasBody = method !== 'GET' && method !== 'HEAD' && method !== 'DELETE';
    const body = hasBody ? await readJson(req) : undefined;
    try {
      const answer = await agentCall<unknown>(agent, method, target, body);
      json(res, 200, answer);
    } catch (e) {
      if (e instanceof AgentAnswer) return json(res, e.status, e.body);
      throw e;
    }
  }

  /** A streamed answer (the backup), passed on as it comes; never held whole in memory. */
  async function download(req: IncomingMessage, res: ServerResponse, method: string, target: string) {
    const body = await readJson(req);
    const answer = await agentStream(agent, method, target, body);
    if (!answer.body) throw new KithError('INTERNAL', 'The agent sent an empty answer.');
    res.writeHead(200, {
      'content-type': answer.headers.get('content-type') ?? 'application/octet-stream',
      'cache-control': 'no-store',
      ...(answer.headers.get('content-disposition')
        ? { 'content-disposition': answer.headers.get('content-disposition')! }
        : {}),
    });
    await pipeline(
      Readable.fromWeb(answer.body as import('node:stream/web').ReadableStream<Uint8Array>),
      res,
    );
  }

  /** An uploaded file (a backup to restore), streamed on with only the header its route reads. */
  async function upload(req: IncomingMessage, res: ServerResponse, target: string) {
    if (req.headers['content-type'] !== 'application/octet-stream')
      throw new KithError('INVALID_INPUT', 'Send the file as application/octet-stream.');
    const passphrase = req.headers[BACKUP_PASSPHRASE_HEADER];
    const answer = await agentUpload<unknown>(
      agent,
      target,
      Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>,
      typeof passphrase === 'string' ? { [BACKUP_PASSPHRASE_HEADER]: passphrase } : {},
    );
    json(res, 200, answer);
  }

  function closeSockets(sessionId: string) {
    for (const socket of sockets.get(sessionId) ?? []) socket.close(4401, 'signed out');
    sockets.delete(sessionId);
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const refuse = (status: number) => {
      socket.end(
        `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nConnection: close\r\n\r\n`,
      );
    };
    const path = new URL(req.url ?? '/', 'http://web.invalid').pathname;
    if (path !== '/api/events' || !originAllowed(req.headers.origin, scheme, req.headers.host))
      return refuse(403);
    let session: Session;
    try {
      session = await sessionOf(req);
    } catch {
      return refuse(401);
    }
    const { url, token } = await agent.endpoint();
    const upstream = new WebSocket(
      `${url.replace(/^http/, 'ws')}/api/events?token=${encodeURIComponent(token)}`,
    );
    upstream.on('error', () => socket.destroy());
    upstream.on('open', () => {
      wss.handleUpgrade(req, socket, head, (client) => {
        const set = sockets.get(session.id) ?? new Set();
        set.add(client);
        sockets.set(session.id, set);
        upstream.on('message', (data, isBinary) => {
          if (client.readyState === client.OPEN && !isBinary) client.send(String(data));
        });
        upstream.on('close', () => client.close(1012, 'agent stream closed'));
        client.on('close', () => {
          set.delete(client);
          upstream.close();
        });
        // The browser only listens: frames it sends are dropped.
      });
    });
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      res.setHeader('cache-control', 'no-store');
      if (e instanceof AgentAnswer) return json(res, e.status, e.body);
      const error = isKithError(e) ? e : new KithError('INTERNAL');
      if (!isKithError(e)) options.warn?.(`web: ${e instanceof Error ? e.message : String(e)}`);
      json(res, error.status, { error: error.toJSON() });
    });
  };
  const server: Server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key }, listener)
    : createHttpServer(listener);
  server.on('upgrade', (req, socket, head) => {
    upgrade(req, socket, head).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new KithError('ADDRESS_IN_USE', `The web UI could not listen on ${options.host}:${options.port}.`)
          : err,
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const info: WebInfo = {
    url: `${scheme}://${publicHost(options.host)}:${port}`,
    fingerprint: tls?.fingerprint ?? null,
    pid: process.pid,
  };
  const infoPath = join(dataDir, WEB_INFO_FILE);
  await writeFile(infoPath, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  return {
    ...info,
    async close() {
      for (const set of sockets.values()) for (const s of set) s.close(1001, 'web UI stopping');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(infoPath, { force: true });
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) throw new KithError('CODEC_OVERSIZE');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new KithError('INVALID_INPUT', 'The request body is not JSON.');
  }
}
