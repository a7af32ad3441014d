import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { KithError } from '@kith/core/errors';
import { encodeFrame, FRAME_KIND } from '@kith/core/noise/link-frame';
import { createLinkHello, finishLinkHandshake } from '@kith/core/noise/link-handshake';
import { NoiseTransport } from '@kith/core/noise/transport';
import { WebSocket } from 'ws';
import { LINK_PATH } from '../../src/link/options.ts';
import { connectLink } from '../../src/link/connect.ts';
import type { Link } from '../../src/link/link.ts';
import type { HelloTimestamps } from '../../src/link/replay-guard.ts';
import {
  allow,
  clock,
  freshKeyPair,
  nextMessage,
  seededRandom,
  startNode,
  type TestNode,
  timestamps,
} from './helpers.ts';

const nodes: TestNode[] = [];
const outbound: Link[] = [];
afterEach(async () => {
  for (const l of outbound.splice(0)) l.close();
  for (const n of nodes.splice(0)) await n.close();
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

async function linkUp(
  options: { invite?: { id: Uint8Array; psk: Uint8Array }; rekeyInterval?: number } = {},
) {
  const invites = new Map<string, Uint8Array>();
  if (options.invite) invites.set(hex(options.invite.id), options.invite.psk);
  const limits = options.rekeyInterval ? { rekeyInterval: options.rekeyInterval } : {};
  const server = await startNode({
    lookupPsk: async (id) => invites.get(hex(id)),
    ...(options.rekeyInterval ? { limits: { handshakeTimeoutMs: 2000, ...limits } } : {}),
  });
  nodes.push(server);
  const me = freshKeyPair('client');
  allow(server, me);
  // An invite's link stays out of the registry (listener.ts): it reaches onLink only.
  const accepted = options.invite
    ? (async () => {
        while (server.links.length === 0) await new Promise((r) => setTimeout(r, 10));
        return server.links[0]!;
      })()
    : new Promise<Link>((resolve) => server.registry.once('link', resolve));
  const client = await connectLink({
    url: server.url,
    staticKeyPair: me,
    remoteStaticKey: server.keys.publicKey,
    clock,
    random: seededRandom('client'),
    timestamps: timestamps(),
    limits,
    ...(options.invite ? { invite: options.invite } : {}),
  });
  outbound.push(client);
  const serverSide = await accepted;
  return { client, serverSide, me, server };
}

describe('peer links over real sockets', () => {
  it('IK: both ends agree on keys and handshake hash, and messages flow both ways', async () => {
    const { client, serverSide, me, server } = await linkUp();
    expect(client.mode).toBe('IK');
    expect(hex(client.remoteStaticKey)).toBe(hex(server.keys.publicKey));
    expect(hex(serverSide.remoteStaticKey)).toBe(hex(me.publicKey));
    expect(hex(client.handshakeHash)).toBe(hex(serverSide.handshakeHash));
    expect(serverSide.remoteAddress).toBe('127.0.0.1');
    expect(server.links).toEqual([serverSide]);

    const atServer = nextMessage(serverSide);
    client.send(text('hello responder'));
    expect(str(await atServer)).toBe('hello responder');
    const atClient = nextMessage(client);
    serverSide.send(text('hello initiator'));
    expect(str(await atClient)).toBe('hello initiator');
  });

  it('IKpsk2: a first contact from an invite comes up and carries messages', async () => {
    const invite = { id: new Uint8Array(16).fill(0xa1), psk: new Uint8Array(32).fill(0x5c) };
    const { client, serverSide } = await linkUp({ invite });
    expect(client.mode).toBe('IKpsk2');
    expect(serverSide.mode).toBe('IKpsk2');
    expect(hex(serverSide.inviteId!)).toBe(hex(invite.id));
    const got = nextMessage(serverSide);
    client.send(text('from the invitee'));
    expect(str(await got)).toBe('from the invitee');
    const back = nextMessage(client);
    serverSide.send(text('welcome'));
    expect(str(await back)).toBe('welcome');
  });

  it('IKpsk2 with the wrong secret fails at the initiator and never reaches onLink', async () => {
    const id = new Uint8Array(16).fill(7);
    const server = await startNode({ lookupPsk: async () => new Uint8Array(32).fill(1) });
    nodes.push(server);
    const me = freshKeyPair('client');
    allow(server, me);
    const attempt = connectLink({
      url: server.url,
      staticKeyPair: me,
      remoteStaticKey: server.keys.publicKey,
      invite: { id, psk: new Uint8Array(32).fill(2) },
      clock,
      random: seededRandom('wrong-psk'),
      timestamps: timestamps(),
    });
    await expect(attempt).rejects.toMatchObject({ code: 'LINK_CONNECT_FAILED' });
    expect(server.links).toHaveLength(0);
  });

  it('an invite hello overtaken by a newer regular hello of the same key still links (issue #14: a reused invite said PAIRING_FAILED)', async () => {
    const invite = { id: new Uint8Array(16).fill(0xb2), psk: new Uint8Array(32).fill(0x3d) };
    const server = await startNode({
      lookupPsk: async (id) => (hex(id) === hex(invite.id) ? invite.psk : undefined),
    });
    nodes.push(server);
    const me = freshKeyPair('client');
    allow(server, me);
    // The acceptor made its invite hello first (t = 5), then its agent dialled the inviter as a
    // friend (t = 10) and that hello arrived first, while the inviter looked the invite up.
    const at = (ns: bigint) => ({ next: (ms: number) => BigInt(ms) * 1_000_000n + ns }) as HelloTimestamps;
    const regular = await connectLink({
      url: server.url,
      staticKeyPair: me,
      remoteStaticKey: server.keys.publicKey,
      clock,
      random: seededRandom('regular-first'),
      timestamps: at(10n),
    });
    outbound.push(regular);
    const viaInvite = await connectLink({
      url: server.url,
      staticKeyPair: me,
      remoteStaticKey: server.keys.publicKey,
      invite,
      clock,
      random: seededRandom('invite-second'),
      timestamps: at(5n),
      limits: { handshakeTimeoutMs: 3000 },
    });
    outbound.push(viaInvite);
    expect(viaInvite.mode).toBe('IKpsk2');
    // The same invite hello again is still a replay.
    const replayed = connectLink({
      url: server.url,
      staticKeyPair: me,
      remoteStaticKey: server.keys.publicKey,
      invite,
      clock,
      random: seededRandom('invite-again'),
      timestamps: at(5n),
      limits: { handshakeTimeoutMs: 1000 },
    });
    await expect(replayed).rejects.toBeInstanceOf(KithError);
  });

  it('an invite link from a device already linked leaves the existing link alone (issue #14)', async () => {
    const invite = { id: new Uint8Array(16).fill(0xc4), psk: new Uint8Array(32).fill(0x71) };
    const server = await startNode({
      lookupPsk: async (id) => (hex(id) === hex(invite.id) ? invite.psk : undefined),
    });
    nodes.push(server);
    const me = freshKeyPair('client');
    allow(server, me);
    const regular = await connectLink({
      url: server.url,
      staticKeyPair: me,
      remoteStaticKey: server.keys.publicKey,
      clock,
      random: seededRandom('regular-link'),
      timestamps: timestamps(),
    });
    outbound.push(regular);
    while (!server.registry.get(me.publicKey)) await new Promise((r) => setTimeout(r, 10));
    const regularAtServer = server.registry.get(me.publicKey)!;
    expect(regularAtServer.mode).toBe('IK');
    // The same device now uses an invite (say, a code it already used): a second link, IKpsk2.
    const viaInvite = await connectLink({
      url: server.url,
      staticKeyPair: me,
      remoteStaticKey: server.keys.publicKey,
      invite,
      clock,
      random: seededRandom('invite-link'),
      timestamps: timestamps(),
    });
    outbound.push(viaInvite);
    while (!server.links.some((l) => l.mode === 'IKpsk2')) await new Promise((r) => setTimeout(r, 10));
    // Neither supersedes the other: the pairing gets its answer, the friendship keeps its link.
    expect(server.links.find((l) => l.mode === 'IKpsk2')?.isOpen).toBe(true);
    expect(regularAtServer.isOpen).toBe(true);
    expect(server.registry.get(me.publicKey)).toBe(regularAtServer);
  });

  it('connecting to the right address with the wrong expected key fails', async () => {
    const server = await startNode();
    nodes.push(server);
    const me = freshKeyPair('client');
    allow(server, me);
    const attempt = connectLink({
      url: server.url,
      staticKeyPair: me,
      remoteStaticKey: freshKeyPair('impostor').publicKey,
      clock,
      random: seededRandom('wrong-key'),
      timestamps: timestamps(),
    });
    await expect(attempt).rejects.toBeInstanceOf(KithError);
    await expect(attempt).rejects.toMatchObject({ code: 'LINK_CONNECT_FAILED' });
  });

  it('carries messages larger than one Noise message, in order, across rekeys', async () => {
    const { client, serverSide } = await linkUp({ rekeyInterval: 3 });
    const big = new Uint8Array(200_000).map((_, i) => (i * 31) & 0xff);
    const received: Uint8Array[] = [];
    serverSide.on('message', (m) => received.push(m));
    for (let i = 0; i < 10; i++) client.send(Uint8Array.of(i));
    client.send(big);
    client.send(new Uint8Array(0));
    await new Promise<void>((resolve) => {
      const check = () =>
        received.length === 12 ? resolve() : serverSide.once('message', () => setImmediate(check));
      check();
    });
    expect(received.slice(0, 10).map((m) => m[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Buffer.from(received[10]!).equals(Buffer.from(big))).toBe(true);
    expect(received[11]!.length).toBe(0);
    const back = nextMessage(client);
    serverSide.send(text('still in step'));
    expect(str(await back)).toBe('still in step');
  });

  /** A hand-driven initiator, so a test can put any frame on the wire after the handshake. */
  async function rawInitiator() {
    const server = await startNode();
    nodes.push(server);
    const me = freshKeyPair('raw');
    allow(server, me);
    const { hello, handshake } = createLinkHello({
      staticKeyPair: me,
      remoteStaticKey: server.keys.publicKey,
      timestampNanos: timestamps().next(clock()),
      random: seededRandom('raw'),
    });
    const ws = new WebSocket(server.url + LINK_PATH, {
      headers: { 'kith-hello': Buffer.from(hello).toString('base64url') },
    });
    const [message2] = (await once(ws, 'message')) as [Buffer];
    const transport = new NoiseTransport(finishLinkHandshake(handshake, new Uint8Array(message2)).ciphers);
    const accepted = new Promise<Link>((resolve) => server.registry.once('link', resolve));
    ws.send(transport.encrypt(encodeFrame(FRAME_KIND.CONFIRM, new Uint8Array(0))));
    return { ws, transport, serverSide: await accepted };
  }

  it('a frame that does not decrypt closes the link', async () => {
    const { ws, transport, serverSide } = await rawInitiator();
    const got = nextMessage(serverSide);
    const frame = transport.encrypt(encodeFrame(FRAME_KIND.DATA, text('once')));
    ws.send(frame);
    expect(str(await got)).toBe('once');
    ws.send(frame); // replayed: wrong nonce now
    expect((await serverSide.closed).reason).toBe('decrypt-failed');
  });

  it('a text frame or an unknown frame kind closes the link', async () => {
    const first = await rawInitiator();
    first.ws.send('plain text');
    expect((await first.serverSide.closed).reason).toBe('protocol-error');
    const second = await rawInitiator();
    second.ws.send(second.transport.encrypt(Uint8Array.of(0x7f, 1, 2)));
    expect((await second.serverSide.closed).reason).toBe('protocol-error');
  });

  it('holds messages that arrive before anyone listens and delivers them in order', async () => {
    const { client, serverSide } = await linkUp();
    for (const word of ['one', 'two', 'three']) client.send(text(word));
    // Let them arrive with no 'message' listener attached (not an assertion on time).
    await new Promise((r) => setTimeout(r, 100));
    const got: string[] = [];
    serverSide.on('message', (m) => got.push(str(m)));
    await new Promise<void>((resolve) => {
      const check = () => (got.length === 3 ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(got).toEqual(['one', 'two', 'three']);
  });

  it('an established link outlives the handshake deadline of its connection', async () => {
    const server = await startNode({ limits: { handshakeTimeoutMs: 300 } });
    nodes.push(server);
    const me = freshKeyPair('long-lived');
    allow(server, me);
    const accepted = new Promise<Link>((resolve) => server.registry.once('link', resolve));
    const client = await connectLink({
      url: server.url,
      staticKeyPair: me,
      remoteStaticKey: server.keys.publicKey,
      clock,
      random: seededRandom('long-lived'),
      timestamps: timestamps(),
    });
    outbound.push(client);
    const serverSide = await accepted;
    await new Promise((r) => setTimeout(r, 700));
    expect(serverSide.isOpen).toBe(true);
    const got = nextMessage(serverSide);
    client.send(text('still here'));
    expect(str(await got)).toBe('still here');
  });

  it('closing one end closes the other, and send then refuses', async () => {
    const { client, serverSide } = await linkUp();
    client.close();
    expect((await serverSide.closed).reason).toBe('remote');
    expect((await client.closed).reason).toBe('local');
    expect(() => client.send(text('x'))).toThrow(expect.objectContaining({ code: 'LINK_CLOSED' }));
  });
});
