import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKithError } from '../src/errors.ts';
import { deviceIdFromSigningKey, userIdFromRootKey } from '../src/ids.ts';
import { SIG } from '../src/labels.ts';
import { MAX_RELAYS, RelayListFormat, signRelayList, verifyRelayList } from '../src/relay-list.ts';
import { signWithLabel } from '../src/signing.ts';
import { MAX_RELAY_LISTS_PER_MESSAGE, RelayListsMessage } from '../src/wire/relay-lists.ts';
import { decodeMessage } from '../src/wire/message.ts';
import { backends } from './helpers/backends.ts';

const backend = backends()[0]!;
const keyPair = (seed: Uint8Array) => ({ seed, publicKey: backend.ed25519PublicKey(seed) });
const seed32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const deviceId = seed32.map((s) => deviceIdFromSigningKey(backend.ed25519PublicKey(s), backend));
const userId = seed32.map((s) => userIdFromRootKey(backend.ed25519PublicKey(s), backend));
const list = fc.record({
  user: userId,
  seq: fc.nat(),
  relays: fc.array(deviceId, { maxLength: 8 }),
  issuedAt: fc.integer({ min: 0, max: 2 ** 48 }),
});

describe('relay list', () => {
  it('round-trips: what was signed is what verifies (relays sorted, no repeats)', () => {
    fc.assert(
      fc.property(seed32, list, (seed, l) => {
        const device = keyPair(seed);
        const got = verifyRelayList(signRelayList(device, l, backend), backend);
        expect(got.userId).toBe(l.user);
        expect(got.seq).toBe(l.seq);
        expect(got.issuedAt).toBe(l.issuedAt);
        expect(got.relays).toEqual([...new Set(l.relays)].sort());
        expect(got.signerId).toBe(deviceIdFromSigningKey(device.publicKey, backend));
      }),
      { numRuns: 40 },
    );
  });

  it('refuses any changed byte', () => {
    fc.assert(
      fc.property(seed32, list, fc.nat(), fc.integer({ min: 1, max: 255 }), (seed, l, at, flip) => {
        const bytes = signRelayList(keyPair(seed), l, backend);
        const bad = bytes.slice();
        const i = at % bad.length;
        bad[i] = bad[i]! ^ flip;
        expect(() => verifyRelayList(bad, backend)).toThrow();
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a list re-signed with another label or body swapped under the signature', () => {
    const device = keyPair(new Uint8Array(32).fill(7));
    const user = userIdFromRootKey(backend.ed25519PublicKey(new Uint8Array(32).fill(1)), backend);
    const good = RelayListFormat.outer.decode(
      signRelayList(device, { user, seq: 1, relays: [], issuedAt: 5 }, backend),
    );
    const otherLabel = RelayListFormat.outer.encode({
      ...good,
      sig: signWithLabel(SIG.ADDRESS_RECORD, good.body, device.seed, backend),
    });
    expect(() => verifyRelayList(otherLabel, backend)).toThrow(
      expect.objectContaining({ code: 'CRYPTO_BAD_SIGNATURE' }),
    );
    const other = RelayListFormat.outer.decode(
      signRelayList(device, { user, seq: 2, relays: [], issuedAt: 5 }, backend),
    );
    const swapped = RelayListFormat.outer.encode({ ...good, body: other.body });
    let caught: unknown;
    try {
      verifyRelayList(swapped, backend);
    } catch (err) {
      caught = err;
    }
    expect(isKithError(caught, 'CRYPTO_BAD_SIGNATURE')).toBe(true);
  });

  it('names at most 64 relays', () => {
    const device = keyPair(new Uint8Array(32).fill(9));
    const user = userIdFromRootKey(device.publicKey, backend);
    const ids = Array.from({ length: MAX_RELAYS + 1 }, (_, i) =>
      deviceIdFromSigningKey(backend.ed25519PublicKey(new Uint8Array(32).fill(i)), backend),
    );
    expect(() => signRelayList(device, { user, seq: 0, relays: ids, issuedAt: 0 }, backend)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    const full = verifyRelayList(
      signRelayList(device, { user, seq: 0, relays: ids.slice(0, MAX_RELAYS), issuedAt: 0 }, backend),
      backend,
    );
    expect(full.relays).toHaveLength(MAX_RELAYS);
  });

  it('travels in a relay-lists message, and a message with too many lists is refused', () => {
    const device = keyPair(new Uint8Array(32).fill(3));
    const user = userIdFromRootKey(device.publicKey, backend);
    const one = signRelayList(device, { user, seq: 3, relays: [], issuedAt: 1 }, backend);
    const wire = RelayListsMessage.encode({ v: 1, t: 'relay-lists', lists: [one] });
    const back = decodeMessage(wire, [RelayListsMessage]);
    expect(back.t).toBe('relay-lists');
    expect(verifyRelayList(back.lists[0]!, backend).seq).toBe(3);
    const many = Array.from({ length: MAX_RELAY_LISTS_PER_MESSAGE + 1 }, () => one);
    expect(() => RelayListsMessage.encode({ v: 1, t: 'relay-lists', lists: many })).toThrow();
  });
});
