import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatBytes } from '@kith/core/crypto/index';
import { createLinkHello } from '@kith/core/noise/link-handshake';
import { computeMac1, mac1Key } from '@kith/core/noise/mac1';
import { connectLink } from '../../src/link/connect.ts';
import { LINK_PATH } from '../../src/link/options.ts';
import {
  allow,
  clock,
  freshKeyPair,
  NOW,
  probe,
  seededRandom,
  startNode,
  type TestNode,
  timestamps,
  upgradeRequest,
} from './helpers.ts';

/**
 * docs/DESIGN.md §6: "Strangers, scanners and replays get silence." Every probe below opens a raw TCP
 * connection, sends something that must not be answered, and waits for the server to close
 * the connection: not one byte may arrive first.
 */
let node: TestNode;
const invitePsk = new Uint8Array(32).fill(0x42);
const inviteId = new Uint8Array(16).fill(0x24);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

beforeAll(async () => {
  node = await startNode({
    lookupPsk: async (id) => (hex(id) === hex(inviteId) ? invitePsk : undefined),
    limits: { handshakeTimeoutMs: 1500 },
  });
});
afterAll(async () => node.close());

function helloFor(
  keys = freshKeyPair('friend'),
  options: { nowMs?: number; invite?: { id: Uint8Array; psk: Uint8Array }; responder?: Uint8Array } = {},
) {
  const { hello } = createLinkHello({
    staticKeyPair: keys,
    remoteStaticKey: options.responder ?? node.keys.publicKey,
    timestampNanos: timestamps().next(options.nowMs ?? NOW),
    random: seededRandom(`hello-${hex(keys.publicKey)}`),
    ...(options.invite ? { invite: options.invite } : {}),
  });
  return Buffer.from(hello).toString('base64url');
}

const upgradeWith = (hello: string, path = LINK_PATH) =>
  upgradeRequest(node.port, path, [`kith-hello: ${hello}`]);

async function expectSilence(payload: string | Uint8Array): Promise<void> {
  const { received } = await probe(node.port, payload);
  expect(received.length).toBe(0);
}

describe('the peer port answers nothing to strangers, scanners and replays', () => {
  it('control: a valid hello from a friend is answered (101 and message 2), so probes can see bytes', async () => {
    const friend = freshKeyPair('friend');
    allow(node, friend);
    const { received } = await probe(node.port, upgradeWith(helloFor(friend)));
    expect(received.subarray(0, 12).toString('latin1')).toBe('HTTP/1.1 101');
  });

  it('raw TCP garbage', async () => {
    await expectSilence(new Uint8Array(300).map((_, i) => (i * 73 + 11) & 0xff));
    await expectSilence('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03');
    await expectSilence('SSH-2.0-OpenSSH_9.6\r\n');
  });

  it('a connection that sends nothing, or half a request', async () => {
    await expectSilence(new Uint8Array(0));
    await expectSilence('GET / HTTP/1.1\r\nHost: x\r\n');
  });

  it('plain HTTP requests, including Expect: 100-continue and CONNECT', async () => {
    await expectSilence('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await expectSilence(`GET ${LINK_PATH} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await expectSilence('HEAD / HTTP/1.0\r\n\r\n');
    await expectSilence('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await expectSilence('POST / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n');
    await expectSilence('CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n');
    await expectSilence(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });

  it('random WebSocket upgrades without a hello, on any path', async () => {
    await expectSilence(upgradeRequest(node.port, '/'));
    await expectSilence(upgradeRequest(node.port, LINK_PATH));
    await expectSilence(upgradeRequest(node.port, LINK_PATH, ['kith-hello: ']));
    await expectSilence(upgradeRequest(node.port, LINK_PATH, ['kith-hello: AAAA']));
    await expectSilence(upgradeRequest(node.port, LINK_PATH, ['Sec-WebSocket-Protocol: chat']));
  });

  it('a valid hello on the wrong path or with broken WebSocket headers', async () => {
    const friend = freshKeyPair('friend');
    allow(node, friend);
    await expectSilence(upgradeWith(helloFor(friend), '/'));
    const broken = upgradeWith(helloFor(friend)).replace(
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Version: 8',
    );
    await expectSilence(broken);
    const badKey = upgradeWith(helloFor(friend)).replace('dGhlIHNhbXBsZSBub25jZQ==', 'not-a-key');
    await expectSilence(badKey);
  });

  it('a hello with a correct mac1 whose message 1 does not decrypt', async () => {
    const body = concatBytes(Uint8Array.of(1, 0), new Uint8Array(108).fill(0x33));
    const forged = concatBytes(body, computeMac1(mac1Key(node.keys.publicKey), body));
    await expectSilence(upgradeWith(Buffer.from(forged).toString('base64url')));
  });

  it('a hello made with the responder’s own static key', async () => {
    allow(node, node.keys);
    try {
      await expectSilence(upgradeWith(helloFor(node.keys)));
    } finally {
      node.allowed.delete(hex(node.keys.publicKey));
    }
  });

  it('a hello with a bad mac1 (one flipped bit, or made for another responder)', async () => {
    const friend = freshKeyPair('friend');
    allow(node, friend);
    const bytes = Buffer.from(helloFor(friend), 'base64url');
    for (const at of [0, 1, 5, 60, bytes.length - 17, bytes.length - 1]) {
      const flipped = Buffer.from(bytes);
      flipped[at]! ^= 0x04;
      await expectSilence(upgradeWith(flipped.toString('base64url')));
    }
    await expectSilence(upgradeWith(helloFor(friend, { responder: freshKeyPair('elsewhere').publicKey })));
  });

  it('a replay of a captured valid first message', async () => {
    const friend = freshKeyPair('friend');
    allow(node, friend);
    const captured = upgradeWith(helloFor(friend));
    const first = await probe(node.port, captured);
    expect(first.received.length).toBeGreaterThan(0);
    await expectSilence(captured);
    await expectSilence(captured);
  });

  it('a hello whose timestamp is older than the last one accepted, or outside the window', async () => {
    const friend = freshKeyPair('friend');
    allow(node, friend);
    const older = helloFor(friend, { nowMs: NOW - 1000 });
    const newer = helloFor(friend, { nowMs: NOW });
    expect((await probe(node.port, upgradeWith(newer))).received.length).toBeGreaterThan(0);
    await expectSilence(upgradeWith(older));
    const other = freshKeyPair('friend');
    allow(node, other);
    await expectSilence(upgradeWith(helloFor(other, { nowMs: NOW - 10 * 60_000 })));
    await expectSilence(upgradeWith(helloFor(other, { nowMs: NOW + 10 * 60_000 })));
  });

  it('a stranger: a well-formed hello from a key authorizeInitiator refuses', async () => {
    await expectSilence(upgradeWith(helloFor(freshKeyPair('stranger'))));
  });

  it('a revoked device: accepted before, silence after', async () => {
    const device = freshKeyPair('device');
    allow(node, device);
    const link = await connectLink({
      url: node.url,
      staticKeyPair: device,
      remoteStaticKey: node.keys.publicKey,
      clock,
      random: seededRandom('revoked'),
      timestamps: timestamps(),
    });
    link.close();
    node.allowed.delete(hex(device.publicKey));
    await expectSilence(upgradeWith(helloFor(device, { nowMs: NOW + 5000 })));
    await expect(
      connectLink({
        url: node.url,
        staticKeyPair: device,
        remoteStaticKey: node.keys.publicKey,
        clock: () => NOW + 6000,
        random: seededRandom('revoked-again'),
        timestamps: timestamps(),
      }),
    ).rejects.toMatchObject({ code: 'LINK_CONNECT_FAILED' });
  });

  it('IKpsk2 with an unknown invite id', async () => {
    const invitee = freshKeyPair('invitee');
    allow(node, invitee);
    const wrongId = { id: new Uint8Array(16).fill(0x99), psk: invitePsk };
    await expectSilence(upgradeWith(helloFor(invitee, { invite: wrongId })));
  });

  it('an initiator that passes the hello but never confirms is dropped after the handshake timeout', async () => {
    const friend = freshKeyPair('friend');
    allow(node, friend);
    const { received } = await probe(node.port, upgradeWith(helloFor(friend)));
    // 101 response and message 2, then the server ends the unconfirmed connection.
    expect(received.length).toBeGreaterThan(0);
    expect(node.links.every((l) => hex(l.remoteStaticKey) !== hex(friend.publicKey))).toBe(true);
  });
});
