import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isKithError } from '@kith/core/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JsonTransport, createApiClient } from '../src/client.ts';
import { httpTransport } from '../src/http-transport.ts';

/** A stand-in HTTP server that records what the client sent and answers as told. */
let server: Server;
let base: string;
const seen: { method?: string; url?: string; headers: Record<string, unknown>; body: string }[] = [];
let answer: { status: number; body: string } = { status: 200, body: '{}' };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** The same calls through fetch (browser, default) and through node:http (the CLI). */
const transports: [string, { transport?: JsonTransport }][] = [
  ['fetch', {}],
  ['node:http', { transport: httpTransport }],
];

describe.each(transports)('api client over %s', (_name, via) => {
  it('fills path parameters and the query, sends the bearer token and the JSON body', async () => {
    const client = createApiClient({ ...via, baseUrl: `${base}/`, token: 'tok' });
    answer = { status: 200, body: '{"id":"x","conversation":"c"}' };
    const id = 'a'.repeat(64);
    expect(await client.post({ params: { id }, body: { text: 'hi' } })).toEqual({
      id: 'x',
      conversation: 'c',
    });
    const sent = seen.at(-1)!;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe(`/api/conversations/${id}/posts`);
    expect(sent.headers.authorization).toBe('Bearer tok');
    expect(JSON.parse(sent.body)).toEqual({ text: 'hi' });

    answer = { status: 200, body: '[]' };
    await client.conversations({ query: { status: 'open' } });
    expect(seen.at(-1)!.url).toBe('/api/conversations?status=open');
    await client.messages();
    expect(seen.at(-1)!.url).toBe('/api/messages');
  });

  it('sends no authorization header without a token (the browser sends its cookies)', async () => {
    const client = createApiClient({ ...via, baseUrl: base });
    answer = { status: 200, body: '{"ok":true,"version":"1","database":"pglite"}' };
    await client.health();
    expect(seen.at(-1)!.headers.authorization).toBeUndefined();
  });

  it("turns an error answer into the agent's KithError with its exact sentence", async () => {
    const client = createApiClient({ ...via, baseUrl: base, token: 't' });
    answer = { status: 409, body: '{"error":{"code":"CONVERSATION_NOT_DONE","message":"Not yet: 1 of 3."}}' };
    const err = await client.recordOutcome({ params: { id: 'b'.repeat(64) } }).catch((e: unknown) => e);
    expect(isKithError(err, 'CONVERSATION_NOT_DONE')).toBe(true);
    expect((err as Error).message).toBe('Not yet: 1 of 3.');
  });

  it('says AGENT_NOT_RUNNING when nothing listens at the address', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const client = createApiClient({ ...via, baseUrl: `http://127.0.0.1:${port}` });
    const err = await client.status().catch((e: unknown) => e);
    expect(isKithError(err, 'AGENT_NOT_RUNNING')).toBe(true);
  });
});

describe('api client', () => {
  it('says AGENT_NOT_RUNNING when nothing answers, and uses the injected fetch', async () => {
    const client = createApiClient({
      baseUrl: 'http://127.0.0.1:9',
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    });
    const err = await client.status().catch((e: unknown) => e);
    expect(isKithError(err, 'AGENT_NOT_RUNNING')).toBe(true);
  });
});
