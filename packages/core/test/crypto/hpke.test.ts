/**
 * HPKE (RFC 9180) through src/crypto/hpke.ts: the RFC's vectors for DHKEM(X25519, HKDF-SHA256),
 * HKDF-SHA256, ChaCha20-Poly1305 in all four modes, then round-trip and tamper properties.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.ts';
import {
  hpkeDeriveKeyPair,
  hpkeOpen,
  hpkeSeal,
  hpkeSetupRecipient,
  hpkeSetupSender,
  hpkeSuite,
} from '../../src/crypto/hpke.ts';
import { nativeBackend } from '../../src/crypto/native.ts';
import { BACKENDS, flipBit, hex, loadVectors } from './load.ts';

interface HpkeVector {
  mode: 0 | 1 | 2 | 3;
  kem_id: number;
  kdf_id: number;
  aead_id: number;
  info: string;
  ikmR: string;
  ikmS?: string;
  ikmE: string;
  skRm: string;
  skSm?: string;
  pkRm: string;
  pkSm?: string;
  pkEm: string;
  enc: string;
  psk?: string;
  psk_id?: string;
  shared_secret: string;
  key: string;
  base_nonce: string;
  encryptions: { aad: string; ct: string; nonce: string; pt: string }[];
  exports: { exporter_context: string; L: number; exported_value: string }[];
}

const vectors = loadVectors<HpkeVector[]>('hpke-rfc9180.json');
const MODE_NAMES = ['base', 'psk', 'auth', 'auth_psk'];

function seqNonce(baseNonce: Uint8Array, seq: number): Uint8Array {
  // RFC 9180 §5.2: base_nonce XOR I2OSP(seq, Nn).
  const nonce = new Uint8Array(baseNonce);
  for (let i = 0, s = seq; s > 0; i++, s = Math.floor(s / 256)) nonce[11 - i]! ^= s % 256;
  return nonce;
}

describe('RFC 9180 vectors', () => {
  it('cover the four modes of the Kith suite', () => {
    expect(vectors.map((v) => [v.mode, v.kem_id, v.kdf_id, v.aead_id])).toEqual([
      [0, 32, 1, 3],
      [1, 32, 1, 3],
      [2, 32, 1, 3],
      [3, 32, 1, 3],
    ]);
  });

  describe.each(vectors.map((v) => ({ ...v, name: MODE_NAMES[v.mode] })))('mode $mode ($name)', (v) => {
    const psk = v.psk && v.psk_id ? { key: hex(v.psk), id: hex(v.psk_id) } : undefined;
    const info = hex(v.info);

    it('DeriveKeyPair gives the recipient, sender and ephemeral keys', async () => {
      const r = await hpkeDeriveKeyPair(hex(v.ikmR));
      expect([toHex(r.privateKey), toHex(r.publicKey)]).toEqual([v.skRm, v.pkRm]);
      const e = await hpkeDeriveKeyPair(hex(v.ikmE));
      expect(toHex(e.publicKey)).toBe(v.pkEm);
      if (v.ikmS) {
        const s = await hpkeDeriveKeyPair(hex(v.ikmS));
        expect([toHex(s.privateKey), toHex(s.publicKey)]).toEqual([v.skSm, v.pkSm]);
      }
    });

    it('the KEM gives enc and shared_secret', async () => {
      const kem = hpkeSuite().kem;
      const recipientPublicKey = await kem.deserializePublicKey(hex(v.pkRm));
      const senderKey = v.skSm ? await kem.deserializePrivateKey(hex(v.skSm)) : undefined;
      const { enc, sharedSecret } = await kem.encap({
        recipientPublicKey,
        ekm: hex(v.ikmE),
        ...(senderKey && { senderKey }),
      });
      expect(toHex(new Uint8Array(enc))).toBe(v.enc);
      expect(toHex(new Uint8Array(sharedSecret))).toBe(v.shared_secret);
    });

    it(`all ${v.encryptions.length} encryptions: library ciphertexts, and key/base_nonce through both AEAD backends`, async () => {
      const sender = await hpkeSetupSender(hex(v.pkRm), {
        info,
        ikmE: hex(v.ikmE),
        ...(psk && { psk }),
        ...(v.skSm && { senderPrivateKey: hex(v.skSm) }),
      });
      expect(toHex(sender.enc)).toBe(v.enc);
      const recipient = await hpkeSetupRecipient(hex(v.skRm), sender.enc, {
        info,
        ...(psk && { psk }),
        ...(v.pkSm && { senderPublicKey: hex(v.pkSm) }),
      });
      const key = hex(v.key);
      const baseNonce = hex(v.base_nonce);
      for (const [seq, e] of v.encryptions.entries()) {
        const ct = await sender.seal(hex(e.pt), hex(e.aad));
        expect(toHex(ct), `seq ${seq}`).toBe(e.ct);
        expect(toHex(await recipient.open(ct, hex(e.aad))), `seq ${seq}`).toBe(e.pt);
        // The vector's key and base_nonce, used directly, give the same ciphertext.
        const nonce = seqNonce(baseNonce, seq);
        expect(toHex(nonce), `seq ${seq}`).toBe(e.nonce);
        for (const backend of BACKENDS) {
          expect(toHex(backend.chacha20poly1305Seal(key, nonce, hex(e.pt), hex(e.aad))), backend.name).toBe(
            e.ct,
          );
        }
      }
    });

    it('exports (RFC 9180 §5.3) on both sides', async () => {
      const sender = await hpkeSetupSender(hex(v.pkRm), {
        info,
        ikmE: hex(v.ikmE),
        ...(psk && { psk }),
        ...(v.skSm && { senderPrivateKey: hex(v.skSm) }),
      });
      const recipient = await hpkeSetupRecipient(hex(v.skRm), sender.enc, {
        info,
        ...(psk && { psk }),
        ...(v.pkSm && { senderPublicKey: hex(v.pkSm) }),
      });
      for (const x of v.exports) {
        expect(toHex(await sender.export(hex(x.exporter_context), x.L))).toBe(x.exported_value);
        expect(toHex(await recipient.export(hex(x.exporter_context), x.L))).toBe(x.exported_value);
      }
    });
  });

  it('single-shot hpkeSeal with injected randomness is the mode-0 vector at sequence 0', async () => {
    const v = vectors[0]!;
    const e = v.encryptions[0]!;
    const sealed = await hpkeSeal(hex(v.pkRm), hex(e.pt), {
      info: hex(v.info),
      aad: hex(e.aad),
      random: (n) => hex(v.ikmE).subarray(0, n),
    });
    expect([toHex(sealed.enc), toHex(sealed.ciphertext)]).toEqual([v.enc, e.ct]);
    const opened = await hpkeOpen(hex(v.skRm), sealed.enc, sealed.ciphertext, {
      info: hex(v.info),
      aad: hex(e.aad),
    });
    expect(toHex(opened)).toBe(e.pt);
  });
});

describe('hpkeSeal / hpkeOpen', () => {
  const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const data = fc.uint8Array({ maxLength: 200 });
  const small = fc.uint8Array({ maxLength: 40 });

  it('round-trips with library randomness and with injected randomness', async () => {
    await fc.assert(
      fc.asyncProperty(key, key, data, small, small, async (sk, ikm, pt, info, aad) => {
        const pk = nativeBackend.x25519PublicKey(sk);
        const a = await hpkeSeal(pk, pt, { info, aad });
        expect(await hpkeOpen(sk, a.enc, a.ciphertext, { info, aad })).toEqual(pt);
        const b = await hpkeSeal(pk, pt, { info, aad, random: () => new Uint8Array(ikm) });
        const c = await hpkeSeal(pk, pt, { info, aad, random: () => new Uint8Array(ikm) });
        expect(c).toEqual(b);
        expect(await hpkeOpen(sk, b.enc, b.ciphertext, { info, aad })).toEqual(pt);
      }),
      { numRuns: 30 },
    );
  });

  it('any flipped bit of enc, ciphertext, info, aad or key fails with CRYPTO_DECRYPT_FAILED', async () => {
    await fc.assert(
      fc.asyncProperty(
        key,
        data,
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.constantFrom('enc', 'ciphertext', 'info', 'aad', 'key'),
        async (sk, pt, info, aad, bit, where) => {
          const sealed = await hpkeSeal(nativeBackend.x25519PublicKey(sk), pt, { info, aad });
          const flip = (b: Uint8Array) => flipBit(b, bit % (b.length * 8));
          const open = hpkeOpen(
            // Clamping (RFC 7748 §5) ignores key bits 0-2, 254 and 255: flip one of bits 3-253.
            where === 'key' ? flipBit(sk, 3 + (bit % 251)) : sk,
            where === 'enc' ? flip(sealed.enc) : sealed.enc,
            where === 'ciphertext' ? flip(sealed.ciphertext) : sealed.ciphertext,
            { info: where === 'info' ? flip(info) : info, aad: where === 'aad' ? flip(aad) : aad },
          );
          await expect(open).rejects.toMatchObject({ code: 'CRYPTO_DECRYPT_FAILED' });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses a low-order recipient key and keys of the wrong length', async () => {
    await expect(hpkeSeal(new Uint8Array(32), new Uint8Array(1))).rejects.toMatchObject({
      code: 'CRYPTO_BAD_KEY',
    });
    await expect(hpkeSeal(new Uint8Array(31).fill(9), new Uint8Array(1))).rejects.toMatchObject({
      code: 'CRYPTO_BAD_KEY',
    });
    await expect(hpkeOpen(new Uint8Array(31), new Uint8Array(32), new Uint8Array(17))).rejects.toMatchObject({
      code: 'CRYPTO_BAD_KEY',
    });
  });

  it('refuses a PSK shorter than 32 bytes on both sides', async () => {
    const sk = new Uint8Array(32).fill(3);
    const psk = { id: Uint8Array.of(1), key: new Uint8Array(31).fill(1) };
    await expect(hpkeSetupSender(nativeBackend.x25519PublicKey(sk), { psk })).rejects.toMatchObject({
      code: 'CRYPTO_BAD_KEY',
    });
    await expect(hpkeSetupRecipient(sk, new Uint8Array(32).fill(9), { psk })).rejects.toMatchObject({
      code: 'CRYPTO_BAD_KEY',
    });
  });

  it('asks the injected random source for exactly 32 bytes, once', async () => {
    const asked: number[] = [];
    const sk = new Uint8Array(32).fill(4);
    await hpkeSeal(nativeBackend.x25519PublicKey(sk), Uint8Array.of(1), {
      random: (n) => {
        asked.push(n);
        return new Uint8Array(n).fill(8);
      },
    });
    expect(asked).toEqual([32]);
  });

  it('refuses an enc that is a low-order point or has the wrong length', async () => {
    const sk = new Uint8Array(32).fill(3);
    for (const enc of [new Uint8Array(32), new Uint8Array(31).fill(5)]) {
      await expect(hpkeOpen(sk, enc, new Uint8Array(17))).rejects.toMatchObject({
        code: 'CRYPTO_DECRYPT_FAILED',
      });
    }
  });
});
