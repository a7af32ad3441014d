#!/usr/bin/env node
// Container health check (Dockerfile HEALTHCHECK, docker-compose.yml): exit 0 when healthy.
//   agent      the agent's /api/health answers ok on its API port
//   consensus  the agent the worker uses (found through KITH_DATA/api.json) answers ok
//   web        the web server's /healthz answers
// Plain JavaScript with no imports beyond Node, so it starts fast every few seconds.
import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';

const role = process.argv[2] ?? 'agent';
const env = process.env;
let url;
if (role === 'agent') url = `http://127.0.0.1:${env.KITH_API_PORT || 7471}/api/health`;
else if (role === 'web') url = `http://127.0.0.1:${env.KITH_WEB_PORT || 7480}/healthz`;
else if (role === 'consensus') {
  try {
    url = `${JSON.parse(readFileSync(join(env.KITH_DATA || '/data', 'api.json'), 'utf8')).url}/api/health`;
  } catch {
    process.exit(1);
  }
} else {
  process.stderr.write(`healthcheck: unknown role ${role} (agent, consensus or web)\n`);
  process.exit(2);
}
// Off loopback the web part serves HTTPS with its own certificate: checked as such, unverified.
if (role === 'web') {
  const https = await new Promise((resolve) => {
    const req = get(url.replace('http:', 'https:'), { rejectUnauthorized: false, timeout: 4000 }, (res) =>
      resolve(res.statusCode === 200),
    );
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
  if (https !== undefined) process.exit(https ? 0 : 1);
}
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
