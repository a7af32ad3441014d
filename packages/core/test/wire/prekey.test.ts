import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nobleBackend, toHex } from '../../src/crypto/index.ts';
import { decodeMessage } from '../../src/wire/message.ts';
import { PrekeyMessage, signDevicePrekey, verifyDevicePrekey } from '../../src/wire/prekey.ts';
import { codeOf } from '../helpers/code-of.ts';
import fixture from '../vectors/kith-device-prekey.json' with { type: 'json' };

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const seed = hex(fixture.deviceSeed);
const signingKey = nobleBackend.ed25519PublicKey(seed);
const prekey = { ...fixture.prekey, key: hex(fixture.prekey.key) };

describe('device prekey', () => {
  it('the v1 fixture still verifies and is still what the device signs', () => {
    expect(verifyDevicePrekey(hex(fixture.v1), 'd-fixture', signingKey)).toEqual(prekey);
    expect(toHex(signDevicePrekey(prekey, seed, nobleBackend))).toBe(fixture.v1);
    const m = decodeMessage(hex(fixture.message), [PrekeyMessage]);
    expect(m.prekeys.map(toHex)).toEqual([fixture.v1]);
  });

  it('round-trips any prekey, and only under its own device and signing key', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 80 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (device, key, createdAt, life) => {
          const p = { device, key, createdAt, expiresAt: createdAt + life };
          const bytes = signDevicePrekey(p, seed, nobleBackend);
          expect(verifyDevicePrekey(bytes, device, signingKey)).toEqual(p);
          expect(codeOf(() => verifyDevicePrekey(bytes, `${device}x`, signingKey))).toBe('PREKEY_INVALID');
          const other = nobleBackend.ed25519PublicKey(new Uint8Array(32).fill(1));
          expect(codeOf(() => verifyDevicePrekey(bytes, device, other))).toBe('PREKEY_INVALID');
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses any changed byte, a prekey that expires before it is made, and extra fields', () => {
    const bytes = hex(fixture.v1);
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 0x10;
      expect(() => verifyDevicePrekey(bad, 'd-fixture', signingKey)).toThrow();
    }
    expect(codeOf(() => signDevicePrekey({ ...prekey, expiresAt: prekey.createdAt }, seed))).toBe(
      'INVALID_INPUT',
    );
    expect(
      codeOf(() => PrekeyMessage.decode(PrekeyMessage.encode({ v: 1, t: 'prekey', prekeys: [] } as never))),
    ).toBe('CODEC_SCHEMA');
  });
});
