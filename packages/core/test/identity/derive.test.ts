import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.ts';
import { deriveDeviceKeys, deriveRootKeys } from '../../src/identity/derive.ts';
import { phraseToSeed } from '../../src/identity/phrase.ts';
import { slip10Derive } from '../../src/identity/slip10.ts';
import fixture from '../vectors/kith-derivation-v1.json' with { type: 'json' };
import { backends } from '../helpers/backends.ts';

describe.each(backends())('Kith derivation vectors v1 on $name', (backend) => {
  it.each(fixture.cases.map((c) => [c.userId, c] as const))('user %s', (_id, c) => {
    const seed = phraseToSeed(c.phrase, c.passphrase, backend);
    expect(toHex(seed)).toBe(c.seed);
    const root = deriveRootKeys(seed, backend);
    expect(root.userId).toBe(c.userId);
    expect(toHex(root.root.seed)).toBe(c.rootPrivate);
    expect(toHex(root.root.publicKey)).toBe(c.rootPublic);
    expect(toHex(root.recovery.privateKey)).toBe(c.recoveryPrivate);
    expect(toHex(root.recovery.publicKey)).toBe(c.recoveryPublic);
    for (const d of c.devices) {
      const keys = deriveDeviceKeys(seed, d.index, backend);
      expect(keys.deviceId).toBe(d.deviceId);
      expect(toHex(keys.signing.seed)).toBe(d.signingPrivate);
      expect(toHex(keys.signing.publicKey)).toBe(d.signingPublic);
      expect(toHex(keys.agreement.privateKey)).toBe(d.agreementPrivate);
      expect(toHex(keys.agreement.publicKey)).toBe(d.agreementPublic);
    }
  });

  it('the root key is the SLIP-0010 key at the documented path', () => {
    const c = fixture.cases[0]!;
    const seed = phraseToSeed(c.phrase, c.passphrase, backend);
    expect(toHex(slip10Derive(seed, "m/1263096904'/0'", backend).privateKey)).toBe(c.rootPrivate);
  });

  it('refuses device indexes outside 31 bits', () => {
    const seed = new Uint8Array(64);
    expect(() => deriveDeviceKeys(seed, -1, backend)).toThrow(/device index/);
    expect(() => deriveDeviceKeys(seed, 2 ** 31, backend)).toThrow(/device index/);
    expect(() => deriveDeviceKeys(seed, 1.5, backend)).toThrow(/device index/);
  });
});
