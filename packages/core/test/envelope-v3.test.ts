/**
 * Envelope header v3 binds every wrap to the whole header (envelope-header.ts): a reader who
 * copies someone's wraps into an envelope of its own — re-signed, with any header field
 * changed — gets no share from any recipient. Header v2 did not (docs/SECURITY.md "A friend
 * holding your archive item").
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../src/crypto/bytes.ts';
import { nobleBackend } from '../src/crypto/index.ts';
import { sealEnvelope, unwrapShares, verifyEnvelope } from '../src/envelope.ts';
import type { HeaderV3 } from '../src/envelope-header.ts';
import { isKithError } from '../src/errors.ts';
import type { AgreementKeyPair, SigningKeyPair } from '../src/identity/derive.ts';
import { reSignEnvelope, sealLegacyEnvelope } from './helpers/envelope-forgery.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));
const backend = nobleBackend;

function agreement(): AgreementKeyPair {
  const privateKey = random(32);
  return { privateKey, publicKey: backend.x25519PublicKey(privateKey) };
}
function signing(): SigningKeyPair {
  const seed = random(32);
  return { seed, publicKey: backend.ed25519PublicKey(seed) };
}
const owner = signing();
const forger = signing();
const pool = Array.from({ length: 5 }, agreement);
const outsider = agreement();

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (isKithError(e)) return e.code;
    throw e;
  }
  return undefined;
}

type Groups = HeaderV3['groups'];
type Mutation = (h: HeaderV3) => HeaderV3 | undefined;

const fakeWrap = (key: Uint8Array) => ({ key, enc: random(32), wrapped: random(48) });

/** Every header field a forger might change; undefined when it does not apply to this header. */
const mutations: Record<string, Mutation> = {
  kind: (h) => ({ ...h, kind: `${h.kind}x` }),
  createdAt: (h) => ({ ...h, createdAt: h.createdAt + 1 }),
  meta: (h) => ({ ...h, meta: utf8.encode('other routing data') }),
  nonce: (h) => ({ ...h, nonce: random(24) }),
  threshold: (h) => (h.groups.length < 2 ? undefined : { ...h, t: h.t === 1 ? 2 : 1 }),
  'add own key to a group': (h) => ({
    ...h,
    groups: h.groups.map((g, i) => (i === 0 ? [...g, fakeWrap(outsider.publicKey)] : g)) as Groups,
  }),
  'add a group': (h) => ({ ...h, groups: [...h.groups, [fakeWrap(outsider.publicKey)]] as Groups }),
  'drop a group': (h) =>
    h.groups.length < 2 ? undefined : { ...h, t: 1, groups: h.groups.slice(1) as Groups },
  'drop a key': (h) => {
    const i = h.groups.findIndex((g) => g.length >= 2);
    if (i < 0) return undefined;
    return { ...h, groups: h.groups.map((g, j) => (j === i ? g.slice(1) : g)) as Groups };
  },
  'swap groups': (h) =>
    h.groups.length < 2 ? undefined : { ...h, groups: [h.groups[1]!, h.groups[0]!, ...h.groups.slice(2)] },
  'move a wrap': (h) => {
    if (h.groups.length < 2 || h.groups[0]!.length < 2) return undefined;
    const [moved, ...rest] = h.groups[0]!;
    return { ...h, groups: [rest, [...h.groups[1]!, moved!], ...h.groups.slice(2)] as Groups };
  },
  'only the sender': (h) => h,
};

/** 2–3 groups of 1–3 distinct pool keys each, and a threshold. */
const layoutArb = fc.integer({ min: 2, max: 3 }).chain((n) =>
  fc.tuple(
    fc.array(fc.uniqueArray(fc.integer({ min: 0, max: pool.length - 1 }), { minLength: 1, maxLength: 3 }), {
      minLength: n,
      maxLength: n,
    }),
    fc.integer({ min: 1, max: n }),
  ),
);

describe('envelope header v3: wraps bound to the whole header', () => {
  it('a re-signed copy with any header field changed opens for no recipient', async () => {
    await fc.assert(
      fc.asyncProperty(
        layoutArb,
        fc.constantFrom(...Object.keys(mutations)),
        fc.boolean(),
        async ([layout, t], name, sameSigner) => {
          const groups = layout.map((g) => g.map((i) => pool[i]!.publicKey));
          const bytes = await sealEnvelope({
            kind: 'archive-current',
            plaintext: utf8.encode('secret'),
            shareGroups: groups,
            threshold: t,
            sender: owner,
            createdAt: 1_767_225_600_000,
            random,
          });
          const edit = mutations[name]!;
          let applies = true;
          // The forger re-signs as itself; with `sameSigner` it is the owner's own key re-signing
          // an edited header (as if the signing key leaked), so the edit alone must break the wraps.
          const signer = sameSigner ? owner : forger;
          fc.pre(!(sameSigner && name === 'only the sender'));
          const forged = reSignEnvelope(bytes, signer, (h) => {
            const out = edit({ ...(h as unknown as HeaderV3), sender: signer.publicKey });
            if (!out) applies = false;
            return (out ?? h) as unknown as typeof h;
          });
          fc.pre(applies);
          expect(verifyEnvelope(forged).sender).toStrictEqual(signer.publicKey);
          for (const key of pool) {
            expect(await codeOf(unwrapShares(forged, key))).toBe('ENVELOPE_WRONG_KEY');
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it('control: the untouched envelope gives each key its shares', async () => {
    const bytes = await sealEnvelope({
      kind: 'archive-current',
      plaintext: utf8.encode('secret'),
      shareGroups: [[pool[0]!.publicKey, pool[1]!.publicKey], [pool[2]!.publicKey]],
      threshold: 2,
      sender: owner,
      createdAt: 1,
      random,
    });
    expect((await unwrapShares(bytes, pool[0]!)).map((s) => s.group)).toStrictEqual([0]);
    expect((await unwrapShares(bytes, pool[2]!)).map((s) => s.group)).toStrictEqual([1]);
    // Re-signed by its own sender with nothing changed, the wraps still open.
    const same = reSignEnvelope(bytes, owner);
    expect((await unwrapShares(same, pool[0]!)).map((s) => s.group)).toStrictEqual([0]);
  });

  it('header v2 (still read) did not bind the sender: why v3 exists', async () => {
    const bytes = await sealLegacyEnvelope({
      kind: 'archive-current',
      plaintext: utf8.encode('secret'),
      shareGroups: [[pool[0]!.publicKey], [pool[1]!.publicKey]],
      threshold: 2,
      sender: owner,
      createdAt: 1,
      random,
    });
    const forged = reSignEnvelope(bytes, forger);
    expect(verifyEnvelope(forged).headerVersion).toBe(2);
    expect((await unwrapShares(forged, pool[0]!)).map((s) => s.group)).toStrictEqual([0]);
  });
});
