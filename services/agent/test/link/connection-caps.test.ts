import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { jitteredDeadline } from '../../src/link/options.ts';
import { seededRandom, startNode, type TestNode, until } from './helpers.ts';

/**
 * Strangers cannot hold the peer port (issue #10 finding 8, docs/SECURITY.md "Strangers"):
 * connections not yet confirmed as links are capped in all and per source address, an idle
 * one is dropped after a short deadline drawn at random per connection, and none of this
 * sends a byte.
 */
interface Held {
  socket: Socket;
  closed: boolean;
  received: number;
}

function hold(port: number, localAddress = '127.0.0.1'): Promise<Held> {
  return new Promise((resolve) => {
    const h: Held = { socket: undefined as unknown as Socket, closed: false, received: 0 };
    h.socket = connect({ host: '127.0.0.1', port, localAddress }, () => resolve(h));
    h.socket.on('data', (d) => {
      h.received += d.length;
    });
    h.socket.on('error', () => undefined);
    h.socket.on('close', () => {
      h.closed = true;
      resolve(h);
    });
  });
}

let node: TestNode | undefined;
let held: Held[] = [];
afterEach(async () => {
  for (const h of held) h.socket.destroy();
  held = [];
  await node?.close();
});

describe('unconfirmed connections', () => {
  it('are capped per source address, the extra ones closed in silence', async () => {
    node = await startNode({
      limits: { maxUnconfirmedPerSource: 4, headerTimeoutMs: 60_000, handshakeTimeoutMs: 60_000 },
    });
    for (let i = 0; i < 10; i++) held.push(await hold(node.port));
    await until(() => held.filter((h) => h.closed).length === 6);
    expect(held.map((h) => h.closed)).toEqual([...Array(4).fill(false), ...Array(6).fill(true)]);
    expect(held.every((h) => h.received === 0)).toBe(true);
    // Another source still gets in.
    const other = await hold(node.port, '127.0.0.9');
    held.push(other);
    // A connection closed by the cap is closed at once; this one stays until its deadline.
    const extra = await hold(node.port, '127.0.0.1');
    held.push(extra);
    await until(() => extra.closed);
    expect(other.closed).toBe(false);
  });

  it('are capped in all', async () => {
    node = await startNode({
      limits: {
        maxUnconfirmed: 6,
        maxUnconfirmedPerSource: 4,
        headerTimeoutMs: 60_000,
        handshakeTimeoutMs: 60_000,
      },
    });
    for (const source of ['127.0.0.10', '127.0.0.11', '127.0.0.12']) {
      for (let i = 0; i < 3; i++) held.push(await hold(node.port, source));
    }
    await until(() => held.filter((h) => h.closed).length === 3);
    expect(held.map((h) => h.closed)).toEqual([...Array(6).fill(false), ...Array(3).fill(true)]);
    expect(held.every((h) => h.received === 0)).toBe(true);
    // A slot freed by a closing connection is taken again.
    held[0]!.socket.destroy();
    await until(() => held[0]!.closed);
    let again: Held;
    do {
      again = await hold(node.port, '127.0.0.13');
      held.push(again);
      await new Promise((r) => setTimeout(r, 50));
    } while (again.closed);
    expect(again.received).toBe(0);
  });

  it('that send no upgrade request are dropped at a short deadline, in silence', async () => {
    node = await startNode({ limits: { headerTimeoutMs: 200, handshakeTimeoutMs: 60_000 } });
    for (let i = 0; i < 3; i++) held.push(await hold(node.port));
    await until(() => held.every((h) => h.closed));
    expect(held.every((h) => h.received === 0)).toBe(true);
  });
});

describe('deadlines', () => {
  it('are drawn per connection between the base and 1.5 times it', () => {
    const random = seededRandom('deadlines');
    const drawn = Array.from({ length: 200 }, () => jitteredDeadline(10_000, random));
    expect(Math.min(...drawn)).toBeGreaterThanOrEqual(10_000);
    expect(Math.max(...drawn)).toBeLessThan(15_000);
    expect(new Set(drawn).size).toBeGreaterThan(100);
  });
});
