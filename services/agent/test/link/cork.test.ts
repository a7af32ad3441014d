/**
 * Frames a link sends in one run of code leave in one write (socket-cork.ts): a group commit's
 * items cost one system call, not one each; and a send in a later tick still goes out.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { linkToAllowed, startNode, until } from './helpers.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

describe('link writes', () => {
  it('frames sent in one go leave in one write, in order; a later send is not held', async () => {
    const server = await startNode();
    const client = await linkToAllowed(server, 'cork', cleanup);
    const received: number[] = [];
    server.links[0]!.on('message', (m: Uint8Array) => received.push(m[0]!));

    // The TCP socket under the link's WebSocket: count the writes Node hands to it.
    const socket = (client as unknown as { ws: { _socket: Socket } }).ws._socket;
    let writes = 0;
    const s = socket as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
    for (const m of ['_write', '_writev'] as const) {
      const f = s[m]!.bind(socket);
      s[m] = (...a: unknown[]) => {
        writes++;
        return f(...a);
      };
    }
    for (let i = 0; i < 20; i++) client.send(Uint8Array.of(i, ...new Uint8Array(1024)));
    await until(() => received.length === 20);
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(writes).toBe(1);

    await new Promise((r) => setImmediate(r));
    client.send(Uint8Array.of(99));
    await until(() => received.length === 21);
    expect(received[20]).toBe(99);
  });
});
