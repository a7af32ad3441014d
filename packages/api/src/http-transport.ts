/**
 * The CLI's transport to the local API (Node only): one `node:http` request per call. Node's
 * global `fetch` loads undici (its HTTP parser is WebAssembly) on first use, which cost a short
 * command like `kith status` more than everything else it does (bench/README.md); a plain
 * request to 127.0.0.1 needs none of it. Streamed answers (`backup`) still use `fetch`.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { JsonTransport } from './client.ts';

export const httpTransport: JsonTransport = (url, init) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const body = init.body === undefined ? undefined : Buffer.from(init.body);
    const req = send(
      target,
      {
        method: init.method,
        headers: { ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        // A new connection per call: nothing pooled keeps a finished command's process alive.
        agent: false,
        signal: AbortSignal.timeout(init.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
