import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../src/crypto/bytes.ts';
import { nobleBackend } from '../../src/crypto/noble.ts';
import { noiseKeyPairFromPrivate } from '../../src/noise/dh25519.ts';
import { decodeFrame, FRAME_KIND, fragmentMessage, MAX_FRAGMENT } from '../../src/noise/link-frame.ts';
import {
  answerLinkHello,
  createLinkHello,
  finishLinkHandshake,
  readLinkHello,
} from '../../src/noise/link-handshake.ts';
import { decodeLinkHello, linkHelloLength } from '../../src/noise/link-hello.ts';
import { mac1Key } from '../../src/noise/mac1.ts';
import { decodeTai64n, encodeTai64n } from '../../src/noise/tai64n.ts';

const backend = nobleBackend;
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const counterRandom = () => {
  let i = 0;
  return (n: number) => new Uint8Array(n).fill(++i);
};

const setup = fc.record({
  iStatic: key32,
  rStatic: key32,
  invite: fc.option(fc.record({ id: fc.uint8Array({ minLength: 16, maxLength: 16 }), psk: key32 }), {
    nil: undefined,
  }),
  timestampNanos: fc.bigInt({ min: 0n, max: (1n << 62n) - 1n }),
});

describe('link hello and handshake', () => {
  it('TAI64N round-trips and refuses labels before 2^62', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 62n) * 1_000_000_000n - 1n }), (t) => {
        const bytes = encodeTai64n(t);
        expect(decodeTai64n(bytes)).toBe(t);
      }),
    );
    expect(toHex(encodeTai64n(1_500_000_000_123_456_789n))).toBe('4000000059682f00075bcd15');
    expect(decodeTai64n(new Uint8Array(12))).toBeUndefined();
  });

  it('completes IK and IKpsk2, with the timestamp and keys each side expects', () => {
    fc.assert(
      fc.property(setup, (c) => {
        const i = noiseKeyPairFromPrivate(backend, c.iStatic);
        const r = noiseKeyPairFromPrivate(backend, c.rStatic);
        const { hello, handshake } = createLinkHello({
          staticKeyPair: i,
          remoteStaticKey: r.publicKey,
          timestampNanos: c.timestampNanos,
          random: counterRandom(),
          backend,
          ...(c.invite ? { invite: c.invite } : {}),
        });
        expect(hello.length).toBe(linkHelloLength(c.invite ? 'IKpsk2' : 'IK'));
        const decoded = decodeLinkHello(hello, mac1Key(r.publicKey));
        expect(decoded?.mode).toBe(c.invite ? 'IKpsk2' : 'IK');
        expect(toHex(decoded?.inviteId ?? new Uint8Array(0))).toBe(toHex(c.invite?.id ?? new Uint8Array(0)));
        const received = readLinkHello(decoded!, {
          staticKeyPair: r,
          random: counterRandom(),
          backend,
          ...(c.invite ? { psk: c.invite.psk } : {}),
        });
        expect(received.timestampNanos).toBe(c.timestampNanos);
        expect(toHex(received.initiatorStaticKey)).toBe(toHex(i.publicKey));
        const answer = answerLinkHello(received.handshake);
        const done = finishLinkHandshake(handshake, answer.message2);
        expect(toHex(done.handshakeHash)).toBe(toHex(answer.handshakeHash));
        expect(toHex(done.remoteStaticKey)).toBe(toHex(r.publicKey));
        const sealed = done.ciphers.send.encryptWithAd(new Uint8Array(0), Uint8Array.of(1, 2));
        expect(toHex(answer.ciphers.receive.decryptWithAd(new Uint8Array(0), sealed))).toBe('0102');
      }),
      { numRuns: 30 },
    );
  });

  it('any flipped bit in a hello, or the wrong responder, fails the mac1 check', () => {
    fc.assert(
      fc.property(setup, key32, fc.nat(), fc.integer({ min: 0, max: 7 }), (c, other, at, bit) => {
        const r = noiseKeyPairFromPrivate(backend, c.rStatic);
        const { hello } = createLinkHello({
          staticKeyPair: noiseKeyPairFromPrivate(backend, c.iStatic),
          remoteStaticKey: r.publicKey,
          timestampNanos: c.timestampNanos,
          random: counterRandom(),
          backend,
          ...(c.invite ? { invite: c.invite } : {}),
        });
        const tampered = hello.slice();
        tampered[at % hello.length]! ^= 1 << bit;
        expect(decodeLinkHello(tampered, mac1Key(r.publicKey))).toBeUndefined();
        const otherKey = noiseKeyPairFromPrivate(backend, other).publicKey;
        fc.pre(toHex(otherKey) !== toHex(r.publicKey));
        expect(decodeLinkHello(hello, mac1Key(otherKey))).toBeUndefined();
        expect(decodeLinkHello(concatBytes(hello, Uint8Array.of(0)), mac1Key(r.publicKey))).toBeUndefined();
      }),
      { numRuns: 50 },
    );
  });

  it('an IKpsk2 hello read with another psk yields a message 2 the initiator refuses', () => {
    const i = noiseKeyPairFromPrivate(backend, new Uint8Array(32).fill(1));
    const r = noiseKeyPairFromPrivate(backend, new Uint8Array(32).fill(2));
    const id = new Uint8Array(16).fill(3);
    const { hello, handshake } = createLinkHello({
      staticKeyPair: i,
      remoteStaticKey: r.publicKey,
      invite: { id, psk: new Uint8Array(32).fill(4) },
      timestampNanos: 1n,
      random: counterRandom(),
      backend,
    });
    const received = readLinkHello(decodeLinkHello(hello, mac1Key(r.publicKey))!, {
      staticKeyPair: r,
      psk: new Uint8Array(32).fill(5),
      random: counterRandom(),
      backend,
    });
    const { message2 } = answerLinkHello(received.handshake);
    expect(() => finishLinkHandshake(handshake, message2)).toThrow(
      expect.objectContaining({ code: 'NOISE_HANDSHAKE_FAILED' }),
    );
  });

  it('fragments a message into frames that reassemble to it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 * MAX_FRAGMENT + 5 }), (length) => {
        const message = new Uint8Array(length).map((_, j) => j & 0xff);
        const frames = fragmentMessage(message).map((f) => decodeFrame(f)!);
        expect(frames.length).toBe(Math.max(1, Math.ceil(length / MAX_FRAGMENT)));
        expect(frames.slice(0, -1).every((f) => f.kind === FRAME_KIND.MORE)).toBe(true);
        expect(frames.at(-1)!.kind).toBe(FRAME_KIND.DATA);
        expect(toHex(concatBytes(...frames.map((f) => f.body)))).toBe(toHex(message));
      }),
      { numRuns: 20 },
    );
    expect(decodeFrame(Uint8Array.of(9))).toBeUndefined();
    expect(decodeFrame(new Uint8Array(0))).toBeUndefined();
    expect(decodeFrame(Uint8Array.of(FRAME_KIND.CONFIRM, 1))).toBeUndefined();
  });
});
