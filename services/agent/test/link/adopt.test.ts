/**
 * The two ends of a hole punch at the link layer (docs/PROTOCOL.md §15): a TCP connection made
 * elsewhere (here, a plain server the test owns) carries an ordinary Noise link when the
 * initiator hands it to `connectLink` and the responder to its listener's `adopt` — even while
 * the peer port is paused. Both ends are marked punched. A stranger's bytes on an adopted
 * socket get silence, as on the port.
 */
import { type Server, type Socket, connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectLink } from '../../src/link/connect.ts';
import type { Link } from '../../src/link/link.ts';
import {
  allow,
  clock,
  freshKeyPair,
  nextMessage,
  seededRandom,
  startNode,
  type TestNode,
  timestamps,
  until,
} from './helpers.ts';

const nodes: TestNode[] = [];
const servers: Server[] = [];
const outbound: Link[] = [];
afterEach(async () => {
  for (const l of outbound.splice(0)) l.close();
  for (const n of nodes.splice(0)) await n.close();
  for (const s of servers.splice(0)) s.close();
});

/** A connected pair of sockets over loopback: [the dialer's end, the accepter's end]. */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  servers.push(server);
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const dialer = connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => dialer.once('connect', resolve));
  return [dialer, await accepted];
}

describe('links over a connection made elsewhere (hole punching)', () => {
  it('carries a Noise link, marked punched, even while the peer port is paused', async () => {
    const responder = await startNode();
    nodes.push(responder);
    await responder.listener.pause();
    const me = freshKeyPair('puncher');
    allow(responder, me);
    const [mine, theirs] = await socketPair();
    responder.listener.adopt(theirs);
    const link = await connectLink({
      url: 'ws://127.0.0.1:1',
      socket: mine,
      staticKeyPair: me,
      remoteStaticKey: responder.keys.publicKey,
      clock,
      random: seededRandom('puncher'),
      timestamps: timestamps(),
    });
    outbound.push(link);
    expect(link.punched).toBe(true);
    await until(() => responder.links.length === 1);
    const accepted = responder.links[0]!;
    expect(accepted.punched).toBe(true);
    const got = nextMessage(accepted);
    link.send(new TextEncoder().encode('through the hole'));
    expect(new TextDecoder().decode(await got)).toBe('through the hole');
    expect(responder.listener.listening).toBe(false);
  });

  it('gives a stranger on an adopted connection zero bytes', async () => {
    const responder = await startNode();
    nodes.push(responder);
    const [mine, theirs] = await socketPair();
    responder.listener.adopt(theirs);
    let received = 0;
    mine.on('data', (d: Buffer) => {
      received += d.length;
    });
    const closed = new Promise((resolve) => mine.once('close', resolve));
    mine.on('error', () => undefined);
    mine.write('GET /kith HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    await closed;
    expect(received).toBe(0);
    expect(responder.links).toHaveLength(0);
  });

  it('a stranger key on an adopted connection gets no link', async () => {
    const responder = await startNode();
    nodes.push(responder);
    const [mine, theirs] = await socketPair();
    responder.listener.adopt(theirs);
    await expect(
      connectLink({
        url: 'ws://127.0.0.1:1',
        socket: mine,
        staticKeyPair: freshKeyPair('stranger'),
        remoteStaticKey: responder.keys.publicKey,
        clock,
        random: seededRandom('stranger'),
        timestamps: timestamps(),
        limits: { handshakeTimeoutMs: 1500 },
      }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^LINK_/) });
    expect(responder.links).toHaveLength(0);
  });
});
