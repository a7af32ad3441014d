import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { issueDeviceCertificate, verifyDeviceCertificate } from '../../src/identity/certificate.ts';
import {
  type DeviceKeys,
  type RootKeys,
  deriveDeviceKeys,
  deriveRootKeys,
} from '../../src/identity/derive.ts';
import {
  type LogOp,
  type LogState,
  activeDevices,
  appendEntry,
  createGenesis,
  mergeLog,
  nextDeviceIndex,
  verifyLog,
} from '../../src/identity/log.ts';
import { codeOf } from '../helpers/code-of.ts';

const seedA = new Uint8Array(64).fill(1);
const seedB = new Uint8Array(64).fill(2);
const rootA = deriveRootKeys(seedA);
const rootB = deriveRootKeys(seedB);
const deviceCache = new Map<number, DeviceKeys>();
const deviceA = (i: number) => {
  if (!deviceCache.has(i)) deviceCache.set(i, deriveDeviceKeys(seedA, i));
  return deviceCache.get(i)!;
};

function addDevice(state: LogState, root: RootKeys, device: DeviceKeys, at = 1000): LogState {
  const cert = issueDeviceCertificate(root, device, { name: `d${device.index}`, issuedAt: at });
  return appendEntry(state, { kind: 'root', seed: root.root.seed }, { type: 'add-device', cert }, at);
}

type Step =
  | { kind: 'add' }
  | { kind: 'revoke'; pick: number }
  | { kind: 'profile'; pick: number; name: string };
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ kind: 'add' }),
  fc.record({ kind: fc.constant('revoke' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('profile' as const), pick: fc.nat(), name: fc.string({ maxLength: 20 }) }),
);

/** Applies a random history; returns the final state. Steps that are not possible are skipped. */
function build(steps: Step[]): LogState {
  let state = verifyLog([createGenesis(rootA)]);
  state = addDevice(state, rootA, deviceA(0));
  for (const s of steps) {
    const active = activeDevices(state);
    if (s.kind === 'add') state = addDevice(state, rootA, deviceA(nextDeviceIndex(state)));
    else if (s.kind === 'revoke' && active.length > 1) {
      const victim = active[s.pick % active.length]!;
      state = appendEntry(
        state,
        { kind: 'root', seed: rootA.root.seed },
        { type: 'revoke-device', index: victim.index, reason: 'lost' },
        2000,
      );
    } else if (s.kind === 'profile' && active.length > 0) {
      const author = active[s.pick % active.length]!;
      state = appendEntry(
        state,
        { kind: 'device', index: author.index, seed: deviceA(author.index).signing.seed },
        { type: 'profile', name: s.name },
        3000,
      );
    }
  }
  return state;
}

describe('identity log', () => {
  it('the genesis is deterministic: the phrase alone rebuilds it', () => {
    expect(createGenesis(deriveRootKeys(seedA))).toStrictEqual(createGenesis(rootA));
    const state = verifyLog([createGenesis(rootA)]);
    expect(state.userId).toBe(rootA.userId);
    expect(state.recoveryKey).toStrictEqual(rootA.recovery.publicKey);
  });

  it('random add/revoke/profile histories verify, and never reuse an index', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 8 }), (steps) => {
        const state = build(steps);
        const again = verifyLog(state.entries);
        expect(again.head).toStrictEqual(state.head);
        expect(again.seq).toBe(state.entries.length - 1);
        const indexes = [...again.devices.keys()];
        expect(new Set(indexes).size).toBe(indexes.length);
      }),
      { numRuns: 25 },
    );
  });

  it('any flipped bit in any entry fails verification', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 4 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (steps, e, b, bit) => {
          const entries = build(steps).entries.map((x) => x.slice());
          const entry = entries[e % entries.length]!;
          entry[b % entry.length]! ^= 1 << bit;
          expect(() => verifyLog(entries)).toThrow();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('reordering, dropping or duplicating entries fails verification', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 2, maxLength: 5 }), fc.nat(), (steps, pick) => {
        const entries = build(steps).entries;
        const i = 1 + (pick % (entries.length - 1));
        const swapped = [...entries];
        [swapped[i - 1], swapped[i]] = [swapped[i]!, swapped[i - 1]!];
        expect(() => verifyLog(swapped)).toThrow();
        // dropping an inner entry leaves a gap (dropping the tail leaves a valid, shorter copy:
        // that is what mergeLog is for)
        if (i < entries.length - 1)
          expect(() => verifyLog([...entries.slice(0, i), ...entries.slice(i + 1)])).toThrow();
        expect(() => verifyLog([...entries.slice(0, i + 1), entries[i]!, ...entries.slice(i + 1)])).toThrow();
      }),
      { numRuns: 20 },
    );
  });

  it('refuses entries signed by a revoked device', () => {
    let state = addDevice(addDevice(verifyLog([createGenesis(rootA)]), rootA, deviceA(0)), rootA, deviceA(1));
    const beforeRevoke = state;
    state = appendEntry(
      state,
      { kind: 'root', seed: rootA.root.seed },
      { type: 'revoke-device', index: 1, reason: 'stolen' },
      5,
    );
    const signer = { kind: 'device', index: 1, seed: deviceA(1).signing.seed } as const;
    expect(codeOf(() => appendEntry(state, signer, { type: 'profile', name: 'x' }, 6))).toBe(
      'DEVICE_REVOKED',
    );
    // ...while the same device could sign before it was revoked
    expect(appendEntry(beforeRevoke, signer, { type: 'profile', name: 'x' }, 6).name).toBe('x');
  });

  it('refuses a device adding or revoking devices, and a reused index', () => {
    const state = addDevice(verifyLog([createGenesis(rootA)]), rootA, deviceA(0));
    const cert = issueDeviceCertificate(rootA, deviceA(1), { name: 'x', issuedAt: 1 });
    const asDevice = { kind: 'device', index: 0, seed: deviceA(0).signing.seed } as const;
    expect(codeOf(() => appendEntry(state, asDevice, { type: 'add-device', cert }, 1))).toBe('LOG_INVALID');
    expect(
      codeOf(() => appendEntry(state, asDevice, { type: 'revoke-device', index: 0, reason: '' }, 1)),
    ).toBe('LOG_INVALID');
    const revoked = appendEntry(
      state,
      { kind: 'root', seed: rootA.root.seed },
      { type: 'revoke-device', index: 0, reason: '' },
      2,
    );
    expect(codeOf(() => addDevice(revoked, rootA, deviceA(0)))).toBe('DEVICE_INDEX_USED');
  });

  it("refuses another user's certificate and another user's entries", () => {
    const state = verifyLog([createGenesis(rootA)]);
    const foreignCert = issueDeviceCertificate(rootB, deriveDeviceKeys(seedB, 0), { name: 'b', issuedAt: 1 });
    const op: LogOp = { type: 'add-device', cert: foreignCert };
    expect(codeOf(() => appendEntry(state, { kind: 'root', seed: rootA.root.seed }, op, 1))).toBe(
      'LOG_INVALID',
    );
    // B's root signing an entry on A's log
    expect(
      codeOf(() =>
        appendEntry(state, { kind: 'root', seed: rootB.root.seed }, { type: 'profile', name: 'x' }, 1),
      ),
    ).toBe('LOG_INVALID');
  });

  it('merge keeps the longer copy and refuses a fork', () => {
    const base = addDevice(verifyLog([createGenesis(rootA)]), rootA, deviceA(0));
    const longer = addDevice(base, rootA, deviceA(1));
    expect(mergeLog(base.entries, longer.entries).seq).toBe(longer.seq);
    expect(mergeLog(longer.entries, base.entries).seq).toBe(longer.seq);
    const fork = addDevice(base, rootA, deviceA(2));
    expect(codeOf(() => mergeLog(longer.entries, fork.entries))).toBe('LOG_FORK');
  });

  it('certificates verify and name their device', () => {
    const cert = verifyDeviceCertificate(
      issueDeviceCertificate(rootA, deviceA(3), { name: 'laptop', issuedAt: 9 }),
    );
    expect(cert.deviceId).toBe(deviceA(3).deviceId);
    expect(cert.userId).toBe(rootA.userId);
    const bytes = issueDeviceCertificate(rootA, deviceA(3), { name: 'laptop', issuedAt: 9 });
    bytes[bytes.length - 1]! ^= 1;
    expect(codeOf(() => verifyDeviceCertificate(bytes))).toBe('CERT_INVALID');
  });
});
