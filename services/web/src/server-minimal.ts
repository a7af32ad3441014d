/**
 * A stand-in web server (`kith web`) until the web UI lands: one page showing whether the agent
 * answers, and GET /healthz for the container's health check. It reads the agent's URL from
 * DATA/api.json on every request (the agent may restart) and calls only the public
 * /api/health, so it holds no token and shows no user data.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface MinimalWebOptions {
  /** Where the agent's api.json is (a data dir, or the agent's KITH_API_SHARE_DIR). */
  dataDir: string;
  host: string;
  port: number;
}

export interface AgentHealth {
  ok: boolean;
  version?: string;
  database?: string;
  /** Why the agent could not be asked, when it could not. */
  problem?: string;
}

export interface RunningMinimalWeb {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

async function agentHealth(dataDir: string): Promise<AgentHealth> {
  let url: string;
  try {
    url = (JSON.parse(await readFile(join(dataDir, 'api.json'), 'utf8')) as { url: string }).url;
  } catch {
    return { ok: false, problem: 'the agent is not running (no api.json yet)' };
  }
  try {
    const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json()) as { ok: boolean; version: string; database: string };
    return { ok: body.ok === true, version: body.version, database: body.database };
  } catch {
    return { ok: false, problem: 'the agent does not answer' };
  }
}

function page(health: AgentHealth): string {
  const state = health.ok
    ? `The agent is running (version ${health.version}, ${health.database} database).`
    : `The agent is not healthy: ${health.problem ?? 'its database does not answer'}.`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kith</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Kith</h1><p id="agent-health" data-ok="${health.ok}">${state}</p>
<p>The full web UI is not part of this build yet; use <code>docker compose exec agent kith --help</code>.</p>
</body></html>
`;
}

export async function startMinimalWeb(options: MinimalWebOptions): Promise<RunningMinimalWeb> {
  const server = createServer((request, response) => {
    void (async () => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/healthz') {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}\n');
        return;
      }
      if (path !== '/') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
        return;
      }
      const health = await agentHealth(options.dataDir);
      response
        .writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy': "default-src 'none'",
        })
        .end(page(health));
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
