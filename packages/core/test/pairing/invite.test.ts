import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signAddressRecord, verifyAddressRecord } from '../../src/address-record.ts';
import { nobleBackend } from '../../src/crypto/index.ts';
import {
  checkInviteFresh,
  decodeInvite,
  encodeInvite,
  type Invite,
  invitePsk,
} from '../../src/pairing/invite-code.ts';
import { shortAuthenticationString } from '../../src/pairing/sas.ts';
import { codeOf as code } from '../helpers/code-of.ts';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const invite: fc.Arbitrary<Invite> = fc.record({
  role: fc.constantFrom('friend' as const, 'device' as const),
  user: fc.constant('bwwcj-x6s30-63kpz-cp8fe-trg9y'),
  key: bytes(32),
  id: bytes(16),
  secret: bytes(16),
  addrs: fc.array(
    fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `${h}:${p}`),
    { minLength: 1, maxLength: 3 },
  ),
  exp: fc.integer({ min: 0, max: 2 ** 40 }),
});

describe('invite code', () => {
  it('round-trips, forgiving case, spacing and look-alikes', () => {
    fc.assert(
      fc.property(invite, (i) => {
        const text = encodeInvite(i);
        expect(text).toMatch(/^KITH1(-[0-9A-Z]{1,5})+$/);
        expect(decodeInvite(text)).toEqual(i);
        expect(
          decodeInvite(text.toLowerCase().replace(/-/g, ' ').replace(/1/g, 'l').replace(/0/g, 'o')),
        ).toEqual(i);
      }),
      { numRuns: 100 },
    );
  });

  it('catches a mistyped or missing character', () => {
    fc.assert(
      fc.property(invite, fc.nat(), fc.nat(31), (i, pos, sym) => {
        const raw = encodeInvite(i).replace(/-/g, '');
        const at = 5 + (pos % (raw.length - 5));
        const replacement = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'[sym]!;
        fc.pre(raw[at] !== replacement);
        expect(code(() => decodeInvite(raw.slice(0, at) + replacement + raw.slice(at + 1)))).toBe(
          'INVITE_INVALID',
        );
        expect(code(() => decodeInvite(raw.slice(0, at) + raw.slice(at + 1)))).toBe('INVITE_INVALID');
      }),
      { numRuns: 100 },
    );
  });

  it('refuses garbage with a clear code', () => {
    expect(code(() => decodeInvite('hello'))).toBe('INVITE_INVALID');
    expect(code(() => decodeInvite('KITH1-!!!'))).toBe('INVITE_INVALID');
    expect(code(() => decodeInvite('KITH1'))).toBe('INVITE_INVALID');
  });

  it('expires', () => {
    expect(code(() => checkInviteFresh({ exp: 100 }, 100_000))).toBeUndefined();
    expect(code(() => checkInviteFresh({ exp: 100 }, 100_001))).toBe('INVITE_EXPIRED');
  });

  it('derives the psk from the secret alone, and different secrets give different psks', () => {
    const a = new Uint8Array(16).fill(1);
    expect(invitePsk(a)).toStrictEqual(invitePsk(a, nobleBackend));
    expect(invitePsk(a)).not.toStrictEqual(invitePsk(new Uint8Array(16).fill(2)));
    expect(invitePsk(a)).toHaveLength(32);
  });
});

describe('short authentication string', () => {
  it('is six digits, the same for the same handshake hash and different otherwise', () => {
    const h = new Uint8Array(randomBytes(64));
    const sas = shortAuthenticationString(h);
    expect(sas).toMatch(/^\d{3} \d{3}$/);
    expect(shortAuthenticationString(h.slice())).toBe(sas);
    const other = h.slice();
    other[0]! ^= 1;
    expect(shortAuthenticationString(other)).not.toBe(sas);
  });
});

describe('address record', () => {
  it('verifies, names its device, and refuses any change', () => {
    const seed = new Uint8Array(randomBytes(32));
    const device = { seed, publicKey: nobleBackend.ed25519PublicKey(seed) };
    const bytes = signAddressRecord(device, {
      seq: 3,
      addresses: ['192.0.2.1:7470', '[2001:db8::1]:7470'],
      issuedAt: 5,
    });
    const record = verifyAddressRecord(bytes);
    expect(record.seq).toBe(3);
    expect(record.addresses).toEqual(['192.0.2.1:7470', '[2001:db8::1]:7470']);
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 0x10;
      expect(() => verifyAddressRecord(bad)).toThrow();
    }
  });
});
