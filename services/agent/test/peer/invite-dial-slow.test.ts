/**
 * An inviter that answers an invite's handshake slowly (a busy machine) still pairs: dialling an
 * invite waits as long as any link handshake (10 s), not 5 s. Found by the chaos suite
 * (docs/SECURITY.md "Chaos"): on a loaded machine `kith accept` failed with "No answer" while
 * the inviter was up. A TCP proxy holds the inviter's answer back for 6 s.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { decodeInvite } from '@kith/core/pairing/invite-code';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/helpers/database.ts';
import { startInProcessNode } from '../../../../test/helpers/in-process-node.ts';
import type { RunningNode } from '../../src/node.ts';
import { dialInvite, INVITE_HANDSHAKE_TIMEOUT_MS } from '../../src/peer/invite-dial.ts';

const HOLD_MS = 6000;

let inviter: RunningNode;
let acceptor: RunningNode;
let proxy: Server;
const sockets: Socket[] = [];

/** Forwards to `port`, holding back the first bytes the inviter sends for HOLD_MS. */
function slowProxy(port: number): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.81', port });
    sockets.push(client, upstream);
    client.pipe(upstream);
    const held: Buffer[] = [];
    let holding = true;
    upstream.on('data', (d: Buffer) => (holding ? held.push(d) : client.write(d)));
    setTimeout(() => {
      holding = false;
      for (const d of held) client.write(d);
    }, HOLD_MS);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', () => setTimeout(end, HOLD_MS));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.83', () => resolve(server)));
}

beforeAll(async () => {
  const dir = await makeTempDir('kith-invite-slow-');
  [inviter, acceptor] = await Promise.all([
    startInProcessNode(join(dir, 'inviter'), '127.0.0.81', { heartbeatMeanMs: 2000 }),
    startInProcessNode(join(dir, 'acceptor'), '127.0.0.82', { heartbeatMeanMs: 2000 }),
  ]);
  proxy = await slowProxy(inviter.node.port);
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  proxy?.close();
  await Promise.all([inviter?.shutdown(), acceptor?.shutdown()]);
});

it('an invite answered after 6 s still links (the wait is the link handshake’s, 10 s)', async () => {
  expect(INVITE_HANDSHAKE_TIMEOUT_MS).toBeGreaterThan(HOLD_MS + 2000);
  const { code } = await inviter.pairing.createInvite({ role: 'friend' });
  const address = proxy.address() as { port: number };
  const invite = { ...decodeInvite(code), addrs: [`127.0.0.83:${address.port}`] };
  const started = Date.now();
  const link = await dialInvite(invite, acceptor.node.staticKeyPair, {
    clock: Date.now,
    random: (n) => new Uint8Array(randomBytes(n)),
  });
  // The answer really was held back: the dial waited for it.
  expect(Date.now() - started).toBeGreaterThanOrEqual(HOLD_MS - 100);
  link.close();
}, 60_000);
