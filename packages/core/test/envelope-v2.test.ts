/**
 * Envelope header v2, share groups (docs/ARCHITECTURE.md "Archive encryption and retrieval"),
 * and the committed fixtures of both header versions: bytes sealed once must always open.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../src/crypto/bytes.ts';
import { nobleBackend } from '../src/crypto/index.ts';
import {
  envelopeId,
  openEnvelope,
  sealEnvelope,
  unwrapShare,
  unwrapShares,
  verifyEnvelope,
} from '../src/envelope.ts';
import { isKithError } from '../src/errors.ts';
import type { AgreementKeyPair, SigningKeyPair } from '../src/identity/derive.ts';
import { sealLegacyEnvelope } from './helpers/envelope-forgery.ts';
import { seededRandom } from './helpers/seeded-random.ts';
import v1Fixture from './vectors/kith-envelope-header-v1.json' with { type: 'json' };
import v2Fixture from './vectors/kith-envelope-header-v2.json' with { type: 'json' };
import v3Fixture from './vectors/kith-envelope-header-v3.json' with { type: 'json' };

const random = (n: number) => new Uint8Array(randomBytes(n));
const backend = nobleBackend;

function agreement(): AgreementKeyPair {
  const privateKey = random(32);
  return { privateKey, publicKey: backend.x25519PublicKey(privateKey) };
}
const sender: SigningKeyPair = (() => {
  const seed = random(32);
  return { seed, publicKey: backend.ed25519PublicKey(seed) };
})();
const pool = Array.from({ length: 8 }, agreement);

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (isKithError(e)) return e.code;
    throw e;
  }
  return undefined;
}

function sealGroups(plaintext: Uint8Array, groups: AgreementKeyPair[][], threshold: number) {
  return sealEnvelope({
    kind: 'test',
    plaintext,
    shareGroups: groups.map((g) => g.map((k) => k.publicKey)),
    threshold,
    sender,
    createdAt: 1_700_000_000_000,
    random,
  });
}

/** n groups of 1–3 distinct keys each, drawn from the pool; a key may sit in several groups. */
const groupsArb = fc.integer({ min: 1, max: 4 }).chain((n) =>
  fc.tuple(
    fc.array(fc.uniqueArray(fc.integer({ min: 0, max: pool.length - 1 }), { minLength: 1, maxLength: 3 }), {
      minLength: n,
      maxLength: n,
    }),
    fc.integer({ min: 1, max: n }),
    fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
  ),
);

describe('envelope share groups (header v3, written since v2)', () => {
  it('any t of n groups open it, fewer do not; each key gets exactly its groups’ shares', async () => {
    await fc.assert(
      fc.asyncProperty(
        groupsArb,
        fc.uint8Array({ maxLength: 200 }),
        async ([groupIdx, t, order], plaintext) => {
          const groups = groupIdx.map((g) => g.map((i) => pool[i]!));
          const bytes = await sealGroups(plaintext, groups, t);
          const v = verifyEnvelope(bytes);
          expect(v.headerVersion).toBe(3);
          expect(v.threshold).toBe(t);
          expect(v.groups).toStrictEqual(groups.map((g) => g.map((k) => k.publicKey)));
          // a key in group i gets share i, and nothing for groups it is not in
          for (const [k, key] of pool.entries()) {
            const mine = groupIdx.flatMap((g, i) => (g.includes(k) ? [i] : []));
            if (mine.length === 0) {
              expect(await codeOf(unwrapShares(bytes, key))).toBe('ENVELOPE_WRONG_KEY');
              continue;
            }
            expect((await unwrapShares(bytes, key)).map((s) => s.group)).toStrictEqual(mine);
          }
          // one key from each of t groups: the first opens with its key, the others hand shares over
          const chosen = order.slice(0, t).map((i) => ({ group: i, key: groups[i]![0]! }));
          const handed: Uint8Array[] = [];
          for (const c of chosen.slice(1)) {
            const s = (await unwrapShares(bytes, c.key)).find((x) => x.group === c.group)!;
            handed.push(s.share);
          }
          const opened = await openEnvelope(bytes, { keys: [chosen[0]!.key], shares: handed });
          expect(opened.plaintext).toStrictEqual(plaintext);
          if (t >= 2) {
            // shares of t − 1 groups never open it, however many keys of those groups are given
            const fewer = order.slice(0, t - 1);
            const keys = fewer.flatMap((i) => groups[i]!);
            const outside = new Set(order.slice(t - 1).flatMap((i) => groups[i]!));
            const onlyFewer = keys.filter((k) => !outside.has(k));
            if (onlyFewer.length === keys.length) {
              expect(await codeOf(openEnvelope(bytes, { keys }))).toBe('ENVELOPE_TOO_FEW_SHARES');
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('2-of-2 with many keys per side: any owner key plus any holder key, never one side alone', async () => {
    const owners = pool.slice(0, 3);
    const holders = pool.slice(3, 5);
    const bytes = await sealGroups(utf8.encode('current'), [owners, holders], 2);
    for (const o of owners) {
      for (const h of holders) {
        const share = await unwrapShare(bytes, h);
        expect(utf8.decode((await openEnvelope(bytes, { keys: [o], shares: [share] })).plaintext)).toBe(
          'current',
        );
      }
    }
    expect(await codeOf(openEnvelope(bytes, { keys: owners }))).toBe('ENVELOPE_TOO_FEW_SHARES');
    expect(await codeOf(openEnvelope(bytes, { keys: holders }))).toBe('ENVELOPE_TOO_FEW_SHARES');
    expect(await codeOf(openEnvelope(bytes, { keys: [pool[6]!] }))).toBe('ENVELOPE_WRONG_KEY');
  });

  it('a share of another envelope does not open this one', async () => {
    const groups = [[pool[0]!], [pool[1]!]];
    const a = await sealGroups(utf8.encode('a'), groups, 2);
    const b = await sealGroups(utf8.encode('b'), groups, 2);
    const foreign = await unwrapShare(b, pool[1]!);
    expect(await codeOf(openEnvelope(a, { keys: [pool[0]!], shares: [foreign] }))).toBe('ENVELOPE_WRONG_KEY');
  });

  it('a key in two groups gets both shares, so it opens a 2-of-2 alone (the documented weaker case)', async () => {
    const bytes = await sealGroups(utf8.encode('x'), [[pool[0]!], [pool[0]!, pool[1]!]], 2);
    const ok = await unwrapShares(bytes, pool[0]!);
    expect(ok.map((s) => s.group)).toStrictEqual([0, 1]);
    expect(utf8.decode((await openEnvelope(bytes, { keys: [pool[0]!] })).plaintext)).toBe('x');
  });

  it('any flipped bit fails with ENVELOPE_TAMPERED', async () => {
    const bytes = await sealGroups(utf8.encode('do not touch'), [[pool[0]!], [pool[1]!]], 2);
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length * 8 - 1), async (bit) => {
        const mutated = bytes.slice();
        mutated[bit >> 3]! ^= 1 << (bit & 7);
        expect(await codeOf(openEnvelope(mutated, { keys: pool.slice(0, 2) }))).toBe('ENVELOPE_TAMPERED');
      }),
      { numRuns: 150 },
    );
  });

  it('refuses empty groups, a key twice in one group, too many keys and bad thresholds', async () => {
    const x = utf8.encode('x');
    expect(await codeOf(sealGroups(x, [], 1))).toBe('INVALID_INPUT');
    expect(await codeOf(sealGroups(x, [[pool[0]!], []], 1))).toBe('INVALID_INPUT');
    expect(await codeOf(sealGroups(x, [[pool[0]!, pool[0]!]], 1))).toBe('INVALID_INPUT');
    expect(await codeOf(sealGroups(x, [[pool[0]!], [pool[1]!]], 3))).toBe('ENVELOPE_BAD_THRESHOLD');
    expect(await codeOf(sealGroups(x, [[pool[0]!]], 0))).toBe('ENVELOPE_BAD_THRESHOLD');
    const many = Array.from({ length: 255 }, () => pool[0]!);
    expect(await codeOf(sealGroups(x, [pool.slice(0, 1), ...many.map((k) => [k])], 1))).toBe('INVALID_INPUT');
  });
});

type FixtureCase = (typeof v2Fixture.cases)[number] & { recipients?: number[]; groups?: number[][] };

describe.each([
  [1, v1Fixture],
  [2, v2Fixture],
  [3, v3Fixture],
] as const)('envelope header v%s fixture', (version, fixture) => {
  const keys = fixture.keys.map((k) => ({
    privateKey: fromHex(k.privateKey),
    publicKey: fromHex(k.publicKey),
  }));
  const senderSeed = fromHex(fixture.senderSeed);
  const fixtureSender = { seed: senderSeed, publicKey: backend.ed25519PublicKey(senderSeed) };

  it.each(fixture.cases.map((c) => [c.name, c as FixtureCase] as const))(
    '%s decodes and opens',
    async (_, c) => {
      const bytes = fromHex(c.envelope);
      const v = verifyEnvelope(bytes);
      expect(v.headerVersion).toBe(version);
      expect(toHex(v.id)).toBe(c.id);
      expect(v.kind).toBe(c.kind);
      expect(v.threshold).toBe(c.t);
      expect(v.createdAt).toBe(c.createdAt);
      expect(toHex(v.meta)).toBe(c.meta);
      expect(v.sender).toStrictEqual(fixtureSender.publicKey);
      for (const set of c.opens) {
        const opened = await openEnvelope(bytes, { keys: set.map((i) => keys[i]!) });
        expect(toHex(opened.plaintext)).toBe(c.plaintext);
      }
      for (const f of c.fails) {
        expect(await codeOf(openEnvelope(bytes, { keys: f.keys.map((i) => keys[i]!) }))).toBe(f.code);
      }
      if (c.reproducible) {
        const common = {
          kind: c.kind,
          plaintext: fromHex(c.plaintext),
          meta: fromHex(c.meta),
          sender: fixtureSender,
          createdAt: c.createdAt,
          threshold: c.t,
          random: seededRandom(c.seed),
          backend,
        };
        // v1 and v2 are no longer written by sealEnvelope; the test helper seals them as it did.
        const shareGroups = c.groups?.map((g) => g.map((i) => keys[i]!.publicKey));
        const again =
          version === 3
            ? await sealEnvelope({ ...common, shareGroups: shareGroups! })
            : shareGroups
              ? await sealLegacyEnvelope({ ...common, shareGroups })
              : await sealLegacyEnvelope({
                  ...common,
                  recipients: c.recipients!.map((i) => keys[i]!.publicKey),
                });
        expect(toHex(again)).toBe(c.envelope);
        expect(toHex(envelopeId(again))).toBe(c.id);
      }
    },
  );
});
