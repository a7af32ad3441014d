import { describe, expect, it } from 'vitest';
import { nobleBackend } from '../../src/crypto/noble.ts';
import { toHex } from '../../src/crypto/bytes.ts';
import { CipherState } from '../../src/noise/cipher-state.ts';
import { NOISE_MAX_PLAINTEXT, NoiseTransport, REKEY_INTERVAL } from '../../src/noise/transport.ts';

const k1 = new Uint8Array(32).fill(1);
const k2 = new Uint8Array(32).fill(2);

function pair(interval?: number): [NoiseTransport, NoiseTransport] {
  const c = (k: Uint8Array) => new CipherState(nobleBackend, k);
  return [
    new NoiseTransport({ send: c(k1), receive: c(k2) }, interval),
    new NoiseTransport({ send: c(k2), receive: c(k1) }, interval),
  ];
}

describe('NoiseTransport', () => {
  it('rekeys after message 2^16 by default', () => {
    const sender = new CipherState(nobleBackend, k1);
    const stale = new CipherState(nobleBackend, k1);
    sender.setNonce(BigInt(REKEY_INTERVAL) - 1n);
    stale.setNonce(BigInt(REKEY_INTERVAL) - 1n);
    const a = new NoiseTransport({ send: sender, receive: new CipherState(nobleBackend, k2) });
    const empty = new Uint8Array(0);
    expect(toHex(stale.decryptWithAd(empty, a.encrypt(Uint8Array.of(1))))).toBe('01');
    expect(() => stale.decryptWithAd(empty, a.encrypt(Uint8Array.of(2)))).toThrow(
      expect.objectContaining({ code: 'CRYPTO_DECRYPT_FAILED' }),
    );
  });

  it('both ends rekey at the same count and keep decrypting across several rekeys', () => {
    const [a, b] = pair(4);
    for (let i = 0; i < 21; i++) {
      const m = Uint8Array.of(i);
      expect(toHex(b.decrypt(a.encrypt(m)))).toBe(toHex(m));
      expect(toHex(a.decrypt(b.encrypt(m)))).toBe(toHex(m));
    }
    expect(a.sent).toBe(21n);
    expect(b.received).toBe(21n);
  });

  it('really changes the key at the bound: an end that does not rekey cannot read on', () => {
    const [a] = pair(4);
    const [, plain] = pair(1000);
    for (let i = 0; i < 4; i++) plain.decrypt(a.encrypt(Uint8Array.of(i)));
    expect(() => plain.decrypt(a.encrypt(Uint8Array.of(4)))).toThrow(
      expect.objectContaining({ code: 'CRYPTO_DECRYPT_FAILED' }),
    );
  });

  it('refuses a plaintext that would make a Noise message over 65535 bytes', () => {
    const [a, b] = pair();
    expect(b.decrypt(a.encrypt(new Uint8Array(NOISE_MAX_PLAINTEXT))).length).toBe(NOISE_MAX_PLAINTEXT);
    expect(() => a.encrypt(new Uint8Array(NOISE_MAX_PLAINTEXT + 1))).toThrow(
      expect.objectContaining({ code: 'NOISE_MESSAGE_TOO_LARGE' }),
    );
  });
});
