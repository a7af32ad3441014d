import { connect } from 'node:net';
import { blake2b } from '@noble/hashes/blake2.js';
import { nobleBackend } from '@kith/core/crypto/noble';
import type { RandomSource } from '@kith/core/crypto/index';
import { type NoiseKeyPair, noiseKeyPairFromPrivate } from '@kith/core/noise/dh25519';
import { createLinkListener, type LinkListener, type LinkListenerOptions } from '../../src/link/listener.ts';
import { connectLink } from '../../src/link/connect.ts';
import type { Link } from '../../src/link/link.ts';
import type { LinkLimits } from '../../src/link/options.ts';
import { LinkRegistry } from '../../src/link/registry.ts';
import { HelloTimestamps } from '../../src/link/replay-guard.ts';

/** A fixed clock: hello timestamps still grow (HelloTimestamps adds 1 ns per hello). */
export const NOW = 1_750_000_000_000;
export const clock = () => NOW;

/** Deterministic randomness: BLAKE2b of a label and a counter. */
export function seededRandom(label: string): RandomSource {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let o = 0; o < n; o += 64) {
      const block = blake2b(new TextEncoder().encode(`${label}/${counter++}`));
      out.set(block.subarray(0, Math.min(64, n - o)), o);
    }
    return out;
  };
}

let keyCounter = 0;
/** A fresh static key pair for each call (so replay memory never crosses tests). */
export function freshKeyPair(label = 'key'): NoiseKeyPair {
  return noiseKeyPairFromPrivate(nobleBackend, seededRandom(`${label}/${keyCounter++}`)(32));
}

export interface TestNode {
  keys: NoiseKeyPair;
  registry: LinkRegistry;
  links: Link[];
  url: string;
  port: number;
  allowed: Set<string>;
  listener: LinkListener;
  close(): Promise<void>;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A listening node that authorises the keys in `allowed` (add/remove them to befriend/revoke). */
export async function startNode(
  extra: Partial<LinkListenerOptions> = {},
  keys: NoiseKeyPair = freshKeyPair('node'),
): Promise<TestNode> {
  const registry = new LinkRegistry();
  const allowed = new Set<string>();
  const links: Link[] = [];
  const listener = await createLinkListener(
    {
      staticKeyPair: keys,
      authorizeInitiator: async ({ staticKey }) => allowed.has(hex(staticKey)),
      clock,
      random: seededRandom(`node-${hex(keys.publicKey)}`),
      registry,
      limits: { handshakeTimeoutMs: 2000 },
      ...extra,
    },
    (link) => links.push(link),
  );
  return {
    keys,
    registry,
    links,
    url: listener.url,
    port: listener.port,
    allowed,
    listener,
    async close() {
      await listener.close();
      await registry.closeAll();
    },
  };
}

export function allow(node: TestNode, key: NoiseKeyPair): void {
  node.allowed.add(hex(key.publicKey));
}

export function timestamps(): HelloTimestamps {
  return new HelloTimestamps();
}

/**
 * Opens a raw TCP connection, writes `payload`, and waits for the server to close it.
 * Resolves with every byte received before the close.
 */
export function probe(port: number, payload: string | Uint8Array): Promise<{ received: Buffer }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(payload);
    });
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ received: Buffer.concat(chunks) }));
  });
}

/** A well-formed WebSocket upgrade request, with optional extra header lines. */
export function upgradeRequest(port: number, path: string, extraHeaders: string[] = []): string {
  return [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ...extraHeaders,
    '',
    '',
  ].join('\r\n');
}

/** Waits (polling) until `condition` holds; the test timeout bounds it. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
}

export function nextMessage(link: Link): Promise<Uint8Array> {
  return new Promise((resolve) => link.once('message', resolve));
}

/** A link to `server` from a fresh key pair (seeded by `label`) that the server allows. */
export async function dialAllowed(
  server: TestNode,
  label: string,
  limits?: Partial<LinkLimits>,
): Promise<Link> {
  const me = freshKeyPair(label);
  allow(server, me);
  return connectLink({
    url: server.url,
    staticKeyPair: me,
    remoteStaticKey: server.keys.publicKey,
    clock,
    random: seededRandom(label),
    timestamps: timestamps(),
    ...(limits ? { limits } : {}),
  });
}

/**
 * The server's only link, dialled as above, once the server holds it; its closing (the link,
 * then the server) goes on `cleanup` first, so a failed wait still closes both.
 */
export async function linkToAllowed(
  server: TestNode,
  label: string,
  cleanup: (() => Promise<void>)[],
  limits?: Partial<LinkLimits>,
): Promise<Link> {
  const client = await dialAllowed(server, label, limits);
  cleanup.push(async () => {
    client.close();
    await server.close();
  });
  await until(() => server.links.length === 1);
  return client;
}
