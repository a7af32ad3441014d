/**
 * Long-mode fuzzing of a link's receive path (issue #17, docs/SECURITY.md "Fuzzing"): the same
 * frame sequences as link-frames.fuzz.test.ts (an authenticated peer sending every kind byte,
 * empty and full fragments, messages over the limit, bytes that do not decrypt, text frames),
 * fed to a real `Link` (its Noise transport, decryption, reassembly, delivery and close) without
 * the real socket and handshake the end-to-end suite makes per case, which cap that suite at
 * some tens of cases per second. Here the socket is an in-memory stand-in with the surface a
 * Link uses (`message`, `close`, `error` events; send, close, terminate, pause, resume), and each
 * case gets fresh transport keys. The assertions are the end-to-end suite's: messages within
 * the limit, a close with a known reason or the sentinel delivered, never a throw.
 */
import { EventEmitter } from 'node:events';
import { nobleBackend } from '@kith/core/crypto/index';
import { CipherState } from '@kith/core/noise/cipher-state';
import { FRAME_KIND, MAX_FRAGMENT } from '@kith/core/noise/link-frame';
import { NoiseTransport } from '@kith/core/noise/transport';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { FUZZ_TIMEOUT, fuzzAssert, params } from '../../../../packages/core/test/fuzz/harness.ts';
import { Link, type LinkCloseReason } from '../../src/link/link.ts';
import { DEFAULT_LINK_LIMITS, silentLinkLogger } from '../../src/link/options.ts';

const REASONS: LinkCloseReason[] = ['decrypt-failed', 'protocol-error', 'message-too-large', 'remote'];
const SENTINEL = new TextEncoder().encode('end of case');

type Step =
  | { kind: 'frame'; byte: number; size: number }
  | { kind: 'garbage'; size: number }
  | { kind: 'text' };

/** The steps of one case against `limit`, fragments of up to `largest` bytes. */
function steps(largest: number): fc.Arbitrary<Step[]> {
  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('frame' as const),
        byte: fc.oneof(fc.constantFrom(0, 1, 2, 2, 2), fc.integer({ min: 0, max: 255 })),
        size: fc.oneof(fc.constantFrom(0, 1, largest), fc.integer({ min: 0, max: largest })),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('garbage' as const), size: fc.integer({ min: 0, max: 200 }) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'text' as const }) },
  );
  return fc.array(step, { maxLength: 12 });
}

/**
 * Mostly a small limit that fragments of a few hundred bytes reach (cheap: the cost of a case
 * is the ChaCha20-Poly1305 of its bytes); one case in ten the end-to-end suite's limit and
 * fragments up to MAX_FRAGMENT, as there.
 */
const cases = fc.oneof(
  { weight: 9, arbitrary: fc.tuple(fc.constant(700), steps(400)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant(3 * MAX_FRAGMENT + 100), steps(MAX_FRAGMENT)) },
);

/** What a Link uses of a `ws` WebSocket; closing emits 'close' as the socket would (at once here). */
class SocketStandIn extends EventEmitter {
  isPaused = false;
  closed = false;
  send(_data: Uint8Array, _options: unknown, done?: () => void): void {
    done?.();
  }
  close(code = 1000): void {
    this.end(code);
  }
  terminate(): void {
    this.end(1006);
  }
  pause(): void {
    this.isPaused = true;
  }
  resume(): void {
    this.isPaused = false;
  }
  private end(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', code);
  }
}

const key = (fill: number) => new Uint8Array(32).fill(fill);
const transports = () => ({
  peer: new NoiseTransport({
    send: new CipherState(nobleBackend, key(1)),
    receive: new CipherState(nobleBackend, key(2)),
  }),
  ours: new NoiseTransport({
    send: new CipherState(nobleBackend, key(2)),
    receive: new CipherState(nobleBackend, key(1)),
  }),
});

describe('fuzz: a link’s receive path fed random frames by an authenticated peer', () => {
  it(
    'delivers messages within the limit or closes with a known reason, never throws (Link, in-memory socket)',
    () => {
      fuzzAssert(
        fc.property(cases, ([limit, sent]) => {
          const { peer, ours } = transports();
          const ws = new SocketStandIn();
          const link = new Link({
            ws: ws as unknown as WebSocket,
            transport: ours,
            initiator: false,
            localStaticKey: key(3),
            remoteStaticKey: key(4),
            handshakeHash: key(5),
            mode: 'IK',
            inviteId: undefined,
            remoteAddress: '127.0.0.1',
            remotePort: 1,
            limits: { ...DEFAULT_LINK_LIMITS, maxMessageBytes: limit },
            logger: silentLinkLogger,
          });
          const got: Uint8Array[] = [];
          let reason: LinkCloseReason | undefined;
          link.on('message', (m) => got.push(m));
          link.on('close', (info) => {
            reason = info.reason;
          });
          const frame = (kind: number, body: Uint8Array) => {
            const plain = new Uint8Array(body.length + 1);
            plain[0] = kind;
            plain.set(body, 1);
            return Buffer.from(peer.encrypt(plain));
          };
          for (const s of sent) {
            if (s.kind === 'text') ws.emit('message', Buffer.from('hello?'), false);
            else if (s.kind === 'garbage') ws.emit('message', Buffer.alloc(s.size, 0x5a), true);
            else ws.emit('message', frame(s.byte, new Uint8Array(s.size)), true);
          }
          // A complete DATA sentinel: either it arrives (the link survived) or the link closed.
          ws.emit('message', frame(FRAME_KIND.DATA, SENTINEL), true);
          const last = got.at(-1);
          const alive =
            last !== undefined &&
            last.length >= SENTINEL.length &&
            Buffer.from(last.subarray(last.length - SENTINEL.length)).equals(Buffer.from(SENTINEL));
          if (alive) expect(reason).toBeUndefined();
          else expect(REASONS).toContain(reason);
          for (const m of got) expect(m.length).toBeLessThanOrEqual(limit);
          link.close();
        }),
        params(300),
      );
    },
    FUZZ_TIMEOUT,
  );
});
