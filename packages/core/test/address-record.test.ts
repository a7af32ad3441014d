import { describe, expect, it } from 'vitest';
import { signAddressRecord, verifyAddressRecord } from '../src/address-record.ts';
import { nobleBackend, toHex } from '../src/crypto/index.ts';
import fixture from './vectors/kith-address-record.json' with { type: 'json' };

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const seed = hex(fixture.deviceSeed);
const device = { seed, publicKey: nobleBackend.ed25519PublicKey(seed) };
const relay = { linkKey: hex(fixture.linkKey), relaySigner: hex(fixture.relaySigner) };

describe('address record fixtures', () => {
  it('v1 (no relay keys) still verifies and is still what a device without relay keys signs', () => {
    const r = verifyAddressRecord(hex(fixture.v1));
    expect(r.seq).toBe(fixture.record.seq);
    expect(r.addresses).toEqual(fixture.record.addresses);
    expect(r.relay).toBeUndefined();
    expect(toHex(signAddressRecord(device, fixture.record, nobleBackend))).toBe(fixture.v1);
  });

  it('v2 certifies the relay link key and relay signing key under the device key', () => {
    const r = verifyAddressRecord(hex(fixture.v2));
    expect(toHex(r.signingKey)).toBe(toHex(device.publicKey));
    expect(toHex(r.relay!.linkKey)).toBe(fixture.linkKey);
    expect(toHex(r.relay!.relaySigner)).toBe(fixture.relaySigner);
    expect(toHex(signAddressRecord(device, { ...fixture.record, relay }, nobleBackend))).toBe(fixture.v2);
  });

  it('v2 refuses any changed byte (a swapped relay key included)', () => {
    const bytes = hex(fixture.v2);
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 0x10;
      expect(() => verifyAddressRecord(bad)).toThrow();
    }
  });
});
