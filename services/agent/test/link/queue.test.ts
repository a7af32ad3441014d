import { afterEach, describe, expect, it } from 'vitest';
import type { Link } from '../../src/link/link.ts';
import type { LinkLimits } from '../../src/link/options.ts';
import { linkToAllowed, startNode, type TestNode, until } from './helpers.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function pair(
  limits: Partial<LinkLimits>,
): Promise<{ client: Link; server: TestNode; received: Uint8Array[] }> {
  const server = await startNode();
  const client = await linkToAllowed(server, 'queue', cleanup, limits);
  const received: Uint8Array[] = [];
  server.links[0]!.on('message', (m) => received.push(m));
  return { client, server, received };
}

describe('bounded send queue', () => {
  it('refuses past maxQueuedMessages with LINK_QUEUE_FULL, then drains and accepts again', async () => {
    const { client, received } = await pair({ maxQueuedMessages: 4 });
    for (let i = 0; i < 4; i++) client.send(Uint8Array.of(i));
    expect(client.queuedMessages).toBe(4);
    expect(client.canSend(1)).toBe(false);
    expect(() => client.send(Uint8Array.of(4))).toThrow(expect.objectContaining({ code: 'LINK_QUEUE_FULL' }));
    await new Promise<void>((resolve) => client.once('drain', resolve));
    client.send(Uint8Array.of(5));
    await until(() => received.length === 5);
    expect(received.map((m) => m[0])).toEqual([0, 1, 2, 3, 5]);
  });

  it('refuses past maxQueuedBytes, and a refused message consumes nothing', async () => {
    const { client, received } = await pair({ maxQueuedBytes: 2500 });
    const kib = new Uint8Array(1024).fill(1);
    client.send(kib);
    client.send(kib);
    expect(client.queuedBytes).toBe(2 * (1024 + 17));
    expect(() => client.send(kib)).toThrow(expect.objectContaining({ code: 'LINK_QUEUE_FULL' }));
    await new Promise<void>((resolve) => client.once('drain', resolve));
    client.send(new Uint8Array(10).fill(2));
    await until(() => received.length === 3);
    expect(received.map((m) => m.length)).toEqual([1024, 1024, 10]);
  });

  it('refuses a message over maxMessageBytes', async () => {
    const { client } = await pair({ maxMessageBytes: 1000 });
    expect(() => client.send(new Uint8Array(1001))).toThrow(
      expect.objectContaining({ code: 'LINK_MESSAGE_TOO_LARGE' }),
    );
    client.send(new Uint8Array(1000));
  });
});
