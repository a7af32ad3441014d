import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nobleBackend } from '../../src/crypto/noble.ts';
import { toHex } from '../../src/crypto/bytes.ts';
import { noiseKeyPairFromPrivate } from '../../src/noise/dh25519.ts';
import { HandshakeState } from '../../src/noise/handshake-state.ts';
import { NoiseTransport } from '../../src/noise/transport.ts';

const backend = nobleBackend;
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const payload = fc.uint8Array({ maxLength: 200 });

/** A random source that hands out the given 32-byte ephemeral keys in order. */
function fixedRandom(...keys: Uint8Array[]) {
  let i = 0;
  return (n: number) => {
    const k = keys[i++];
    if (k === undefined || n !== 32) throw new Error('unexpected randomness request');
    return k;
  };
}

const cases = fc.record({
  pattern: fc.constantFrom('IK', 'IKpsk2'),
  hash: fc.constantFrom('BLAKE2b', 'SHA256'),
  iStatic: key32,
  rStatic: key32,
  iEph: key32,
  rEph: key32,
  psk: key32,
  prologue: fc.uint8Array({ maxLength: 40 }),
  payloads: fc.array(payload, { minLength: 2, maxLength: 2 }),
  transport: fc.array(fc.tuple(fc.boolean(), payload), { maxLength: 12 }),
});

type Case = typeof cases extends fc.Arbitrary<infer T> ? T : never;

function parties(c: Case) {
  const protocol = `Noise_${c.pattern}_25519_ChaChaPoly_${c.hash}`;
  const rs = noiseKeyPairFromPrivate(backend, c.rStatic);
  const psks = c.pattern === 'IKpsk2' ? [c.psk] : [];
  const initiator = new HandshakeState({
    protocol,
    initiator: true,
    prologue: c.prologue,
    s: noiseKeyPairFromPrivate(backend, c.iStatic),
    rs: rs.publicKey,
    psks,
    backend,
    random: fixedRandom(c.iEph),
  });
  const responder = new HandshakeState({
    protocol,
    initiator: false,
    prologue: c.prologue,
    s: rs,
    psks,
    backend,
    random: fixedRandom(c.rEph),
  });
  return { initiator, responder };
}

describe('IK and IKpsk2 handshakes (property)', () => {
  it('complete with equal handshake hashes, learn the initiator key, and carry transport messages', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const { initiator, responder } = parties(c);
        const m1 = initiator.writeMessage(c.payloads[0]!);
        expect(toHex(responder.readMessage(m1))).toBe(toHex(c.payloads[0]!));
        expect(toHex(responder.getRemoteStaticKey()!)).toBe(
          toHex(noiseKeyPairFromPrivate(backend, c.iStatic).publicKey),
        );
        const m2 = responder.writeMessage(c.payloads[1]!);
        expect(toHex(initiator.readMessage(m2))).toBe(toHex(c.payloads[1]!));
        expect(initiator.isComplete() && responder.isComplete()).toBe(true);
        expect(toHex(initiator.getHandshakeHash())).toBe(toHex(responder.getHandshakeHash()));
        const a = new NoiseTransport(initiator.split(), 3);
        const b = new NoiseTransport(responder.split(), 3);
        for (const [fromInitiator, p] of c.transport) {
          const [send, receive] = fromInitiator ? [a, b] : [b, a];
          expect(toHex(receive.decrypt(send.encrypt(p)))).toBe(toHex(p));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a single flipped bit anywhere in either handshake message makes the reader fail', () => {
    fc.assert(
      fc.property(cases, fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 7 }), (c, second, at, bit) => {
        const { initiator, responder } = parties(c);
        let message = initiator.writeMessage(c.payloads[0]!);
        let reader = responder;
        if (second) {
          responder.readMessage(message);
          message = responder.writeMessage(c.payloads[1]!);
          reader = initiator;
        }
        const tampered = message.slice();
        tampered[at % tampered.length]! ^= 1 << bit;
        expect(() => reader.readMessage(tampered)).toThrow(
          expect.objectContaining({ code: 'NOISE_HANDSHAKE_FAILED' }),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('IKpsk2 with different pre-shared keys fails at message 2', () => {
    fc.assert(
      fc.property(cases, key32, (c, otherPsk) => {
        fc.pre(toHex(otherPsk) !== toHex(c.psk));
        const rs = noiseKeyPairFromPrivate(backend, c.rStatic);
        const protocol = `Noise_IKpsk2_25519_ChaChaPoly_${c.hash}`;
        const initiator = new HandshakeState({
          protocol,
          initiator: true,
          s: noiseKeyPairFromPrivate(backend, c.iStatic),
          rs: rs.publicKey,
          psks: [c.psk],
          backend,
          random: fixedRandom(c.iEph),
        });
        const responder = new HandshakeState({
          protocol,
          initiator: false,
          s: rs,
          psks: [otherPsk],
          backend,
          random: fixedRandom(c.rEph),
        });
        responder.readMessage(initiator.writeMessage(c.payloads[0]!));
        const m2 = responder.writeMessage(c.payloads[1]!);
        expect(() => initiator.readMessage(m2)).toThrow(
          expect.objectContaining({ code: 'NOISE_HANDSHAKE_FAILED' }),
        );
      }),
      { numRuns: 20 },
    );
  });
});
