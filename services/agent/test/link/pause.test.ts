/**
 * Port windows at the link layer: a paused listener refuses connections (the operating system
 * answers RST, no Kith byte), a link made before the pause stays up, and `resume` takes
 * connections again on the same port.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Link } from '../../src/link/link.ts';
import { dialAllowed, nextMessage, startNode, type TestNode } from './helpers.ts';

const nodes: TestNode[] = [];
const outbound: Link[] = [];
afterEach(async () => {
  for (const l of outbound.splice(0)) l.close();
  for (const n of nodes.splice(0)) await n.close();
});

/** 'refused' when the port is closed, 'open' when a TCP connection is accepted. */
function tcpProbe(port: number): Promise<'refused' | 'open'> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNREFUSED' ? resolve('refused') : reject(err),
    );
  });
}

async function dial(server: TestNode, label: string): Promise<Link> {
  const link = await dialAllowed(server, label);
  outbound.push(link);
  return link;
}

describe('listener pause and resume', () => {
  it('refuses connections while paused, keeps links, and listens again on the same port', async () => {
    const server = await startNode();
    nodes.push(server);
    const before = await dial(server, 'early');
    expect(server.listener.listening).toBe(true);

    await server.listener.pause();
    expect(server.listener.listening).toBe(false);
    expect(await tcpProbe(server.port)).toBe('refused');
    await expect(dial(server, 'late')).rejects.toThrow();
    // The link made before the pause still carries messages both ways.
    const serverSide = server.links[0]!;
    const got = nextMessage(serverSide);
    before.send(new TextEncoder().encode('still here'));
    expect(new TextDecoder().decode(await got)).toBe('still here');

    await server.listener.resume();
    expect(server.listener.listening).toBe(true);
    expect(await tcpProbe(server.port)).toBe('open');
    const after = await dial(server, 'after');
    expect(after.isOpen).toBe(true);
    // Pausing and resuming twice is harmless.
    await server.listener.pause();
    await server.listener.pause();
    await server.listener.resume();
    await server.listener.resume();
    expect(await tcpProbe(server.port)).toBe('open');
  });
});
