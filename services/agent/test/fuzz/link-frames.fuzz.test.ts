/**
 * Fuzzing of a live link's frame decoding and fragment reassembly (issue #17, docs/SECURITY.md
 * "Fuzzing"): an authenticated peer (the worst case: it passed the handshake) sends a random
 * sequence of frames: every kind byte, empty and full fragments, messages over the limit,
 * bytes that do not decrypt, text frames. The receiving Link must either deliver messages no
 * larger than its limit or close with one of its reasons; it never throws, and it holds no
 * more than the limit in fragments. Real sockets, real Noise; one link per case, so it keeps its
 * 40 cases in long mode too: link-receive.fuzz.test.ts feeds the same frames to a Link's receive
 * path without the socket and handshake, a million cases in long mode.
 */
import fc from 'fast-check';
import { FRAME_KIND, MAX_FRAGMENT } from '@kith/core/noise/link-frame';
import type { NoiseTransport } from '@kith/core/noise/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { fuzzAssert, shortParams } from '../../../../packages/core/test/fuzz/harness.ts';
import { connectLink } from '../../src/link/connect.ts';
import type { Link, LinkCloseReason } from '../../src/link/link.ts';
import {
  allow,
  clock,
  freshKeyPair,
  seededRandom,
  startNode,
  type TestNode,
  timestamps,
} from '../link/helpers.ts';

/** One real link per case, in long mode too: link-receive.fuzz.test.ts is the long property. */
const RUNS = 40;
const MAX_MESSAGE = 3 * MAX_FRAGMENT + 100;
const REASONS: LinkCloseReason[] = ['decrypt-failed', 'protocol-error', 'message-too-large', 'remote'];

type Step =
  | { kind: 'frame'; byte: number; size: number }
  | { kind: 'garbage'; size: number }
  | { kind: 'text' };
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('frame' as const),
      byte: fc.oneof(fc.constantFrom(0, 1, 2, 2, 2), fc.integer({ min: 0, max: 255 })),
      size: fc.oneof(fc.constantFrom(0, 1, MAX_FRAGMENT), fc.integer({ min: 0, max: MAX_FRAGMENT })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('garbage' as const), size: fc.integer({ min: 0, max: 200 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'text' as const }) },
);

let node: TestNode;
beforeAll(async () => {
  node = await startNode({ limits: { maxMessageBytes: MAX_MESSAGE, handshakeTimeoutMs: 5000 } });
});
afterAll(async () => node.close());

const SENTINEL = new TextEncoder().encode('end of case');

describe('fuzz: a link fed random frames by an authenticated peer', { retry: 0 }, () => {
  it('delivers messages within the limit or closes with a known reason, never throws', async () => {
    let n = 0;
    await fuzzAssert(
      fc.asyncProperty(fc.array(step, { maxLength: 12 }), async (steps) => {
        const keys = freshKeyPair('fuzz-peer');
        allow(node, keys);
        const before = node.links.length;
        const client = await connectLink({
          url: node.url,
          staticKeyPair: keys,
          remoteStaticKey: node.keys.publicKey,
          clock,
          random: seededRandom(`fuzz-${n++}`),
          timestamps: timestamps(),
          limits: { maxMessageBytes: MAX_MESSAGE },
        });
        const inside = client as unknown as { ws: WebSocket; transport: NoiseTransport };
        while (node.links.length === before) await new Promise((r) => setTimeout(r, 5));
        const server: Link = node.links[node.links.length - 1]!;
        const got: Uint8Array[] = [];
        server.on('message', (m) => got.push(m));
        const closed = server.closed;
        for (const s of steps) {
          if (s.kind === 'text') inside.ws.send('hello?');
          else if (s.kind === 'garbage') inside.ws.send(new Uint8Array(s.size).fill(0x5a), { binary: true });
          else {
            const frame = new Uint8Array(s.size + 1);
            frame[0] = s.byte;
            inside.ws.send(inside.transport.encrypt(frame), { binary: true });
          }
        }
        // A complete DATA sentinel: either it arrives (the link survived) or the link closed.
        const end = new Uint8Array(SENTINEL.length + 1);
        end[0] = FRAME_KIND.DATA;
        end.set(SENTINEL, 1);
        inside.ws.send(inside.transport.encrypt(end), { binary: true });
        const outcome = await Promise.race([
          closed.then((info) => info.reason),
          new Promise<'alive'>((resolve) => {
            // Open MORE fragments before it join the sentinel into one message: it ends with it.
            const endsWithSentinel = (m: Uint8Array) =>
              m.length >= SENTINEL.length &&
              Buffer.from(m.subarray(m.length - SENTINEL.length)).equals(SENTINEL);
            const check = () => (got.some(endsWithSentinel) ? resolve('alive') : undefined);
            server.on('message', check);
            check();
          }),
        ]);
        if (outcome !== 'alive') expect(REASONS).toContain(outcome);
        for (const m of got) expect(m.length).toBeLessThanOrEqual(MAX_MESSAGE);
        client.close();
        server.close();
        node.allowed.delete(Buffer.from(keys.publicKey).toString('hex'));
      }),
      shortParams(RUNS),
    );
  }, 120_000);
});
