import { describe, expect, it } from 'vitest';
import { nobleBackend } from '../../src/crypto/noble.ts';
import { toHex } from '../../src/crypto/bytes.ts';
import { isKithError } from '../../src/errors.ts';
import { CipherState, chachaPolyNonce, MAX_NONCE } from '../../src/noise/cipher-state.ts';

const key = new Uint8Array(32).fill(7);
const empty = new Uint8Array(0);

describe('CipherState (Noise §5.1)', () => {
  it('lays out the ChaChaPoly nonce as 4 zero bytes and a little-endian counter', () => {
    expect(toHex(chachaPolyNonce(0x0102030405060708n))).toBe('000000000807060504030201');
  });

  it('passes data through unchanged without a key', () => {
    const cs = new CipherState(nobleBackend);
    expect(cs.hasKey()).toBe(false);
    expect(toHex(cs.encryptWithAd(empty, Uint8Array.of(1, 2, 3)))).toBe('010203');
  });

  it('uses nonces 0, 1, 2 … and encrypts with ChaCha20-Poly1305 under them', () => {
    const cs = new CipherState(nobleBackend, key);
    const ad = Uint8Array.of(9);
    for (let n = 0n; n < 3n; n++) {
      const expected = nobleBackend.chacha20poly1305Seal(key, chachaPolyNonce(n), Uint8Array.of(1), ad);
      expect(toHex(cs.encryptWithAd(ad, Uint8Array.of(1)))).toBe(toHex(expected));
    }
    expect(cs.nonce).toBe(3n);
  });

  it('refuses to encrypt or decrypt at nonce 2^64-1 and accepts 2^64-2', () => {
    const a = new CipherState(nobleBackend, key);
    const b = new CipherState(nobleBackend, key);
    a.setNonce(MAX_NONCE - 1n);
    b.setNonce(MAX_NONCE - 1n);
    const ct = a.encryptWithAd(empty, Uint8Array.of(5));
    expect(toHex(b.decryptWithAd(empty, ct))).toBe('05');
    expect(a.nonce).toBe(MAX_NONCE);
    expect(() => a.encryptWithAd(empty, Uint8Array.of(5))).toThrow(
      expect.objectContaining({ code: 'NOISE_NONCE_EXHAUSTED' }),
    );
    expect(() => b.decryptWithAd(empty, ct)).toThrow(
      expect.objectContaining({ code: 'NOISE_NONCE_EXHAUSTED' }),
    );
  });

  it('does not advance the nonce when authentication fails', () => {
    const a = new CipherState(nobleBackend, key);
    const b = new CipherState(nobleBackend, key);
    const ct = a.encryptWithAd(empty, Uint8Array.of(1, 2));
    const bad = ct.slice();
    bad[0]! ^= 1;
    let error: unknown;
    try {
      b.decryptWithAd(empty, bad);
    } catch (e) {
      error = e;
    }
    expect(isKithError(error, 'CRYPTO_DECRYPT_FAILED')).toBe(true);
    expect(b.nonce).toBe(0n);
    expect(toHex(b.decryptWithAd(empty, ct))).toBe('0102');
  });

  it('rekeys to ENCRYPT(k, 2^64-1, "", zeros)[0:32] and keeps the nonce (§11.3)', () => {
    const a = new CipherState(nobleBackend, key);
    a.encryptWithAd(empty, empty);
    a.rekey();
    expect(a.nonce).toBe(1n);
    const newKey = nobleBackend
      .chacha20poly1305Seal(key, chachaPolyNonce(MAX_NONCE), new Uint8Array(32), empty)
      .slice(0, 32);
    const expected = nobleBackend.chacha20poly1305Seal(newKey, chachaPolyNonce(1n), Uint8Array.of(3), empty);
    expect(toHex(a.encryptWithAd(empty, Uint8Array.of(3)))).toBe(toHex(expected));
  });
});
