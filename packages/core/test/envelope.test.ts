import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../src/crypto/bytes.ts';
import { nobleBackend } from '../src/crypto/index.ts';
import {
  ENVELOPE_MAX_PLAINTEXT,
  envelopeId,
  openEnvelope,
  sealEnvelope,
  unwrapShare,
  verifyEnvelope,
} from '../src/envelope.ts';
import { isKithError } from '../src/errors.ts';
import type { AgreementKeyPair, SigningKeyPair } from '../src/identity/derive.ts';

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
const pool = Array.from({ length: 6 }, agreement);

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (isKithError(e)) return e.code;
    throw e;
  }
  return undefined;
}

function seal(plaintext: Uint8Array, recipients: AgreementKeyPair[], threshold: number) {
  return sealEnvelope({
    kind: 'test',
    plaintext,
    recipients: recipients.map((r) => r.publicKey),
    threshold,
    sender,
    createdAt: 1_700_000_000_000,
    random,
  });
}

describe('envelope', () => {
  it('t=1: every recipient opens it alone; the sender and strangers cannot', async () => {
    const recipients = pool.slice(0, 3);
    const bytes = await seal(utf8.encode('hello kith'), recipients, 1);
    for (const r of recipients) {
      const opened = await openEnvelope(bytes, { keys: [r] });
      expect(utf8.decode(opened.plaintext)).toBe('hello kith');
      expect(opened.sender).toStrictEqual(sender.publicKey);
      expect(opened.id).toStrictEqual(envelopeId(bytes));
    }
    expect(await codeOf(openEnvelope(bytes, { keys: [pool[5]!] }))).toBe('ENVELOPE_WRONG_KEY');
  });

  it('any t of n recipients open it; t-1 never do', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 2, max: 5 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.integer({ min: 2, max: n }),
              fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
            ),
          ),
        fc.uint8Array({ maxLength: 200 }),
        async ([n, t, order], plaintext) => {
          const recipients = pool.slice(0, n);
          const bytes = await seal(plaintext, recipients, t);
          const chosen = order.slice(0, t).map((i) => recipients[i]!);
          // one holder uses its own key, the others hand over their unwrapped shares
          const shares = await Promise.all(chosen.slice(1).map((k) => unwrapShare(bytes, k)));
          const opened = await openEnvelope(bytes, { keys: [chosen[0]!], shares });
          expect(opened.plaintext).toStrictEqual(plaintext);
          expect(opened.threshold).toBe(t);
          // all t keys held by one party also works
          expect((await openEnvelope(bytes, { keys: chosen })).plaintext).toStrictEqual(plaintext);
          const tooFew = order.slice(0, t - 1).map((i) => recipients[i]!);
          expect(await codeOf(openEnvelope(bytes, { keys: tooFew }))).toBe('ENVELOPE_TOO_FEW_SHARES');
          // the same share twice does not count twice
          const dup = await unwrapShare(bytes, tooFew[0]!);
          expect(await codeOf(openEnvelope(bytes, { keys: tooFew, shares: [dup] }))).toBe(
            'ENVELOPE_TOO_FEW_SHARES',
          );
        },
      ),
      { numRuns: 15 },
    );
  });

  it('any flipped bit fails with ENVELOPE_TAMPERED', async () => {
    const recipients = pool.slice(0, 2);
    const bytes = await seal(utf8.encode('do not touch'), recipients, 1);
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length * 8 - 1), async (bit) => {
        const mutated = bytes.slice();
        mutated[bit >> 3]! ^= 1 << (bit & 7);
        const code = await codeOf(openEnvelope(mutated, { keys: recipients }));
        expect(code).toBe('ENVELOPE_TAMPERED');
      }),
      { numRuns: 200 },
    );
  });

  it('a share from another envelope does not open this one', async () => {
    const recipients = pool.slice(0, 3);
    const a = await seal(utf8.encode('a'), recipients, 2);
    const b = await seal(utf8.encode('b'), recipients, 2);
    const foreign = await unwrapShare(b, recipients[1]!);
    expect(await codeOf(openEnvelope(a, { keys: [recipients[0]!], shares: [foreign] }))).toBe(
      'ENVELOPE_WRONG_KEY',
    );
  });

  it('verifies without opening, for relays', async () => {
    const bytes = await seal(utf8.encode('x'), pool.slice(0, 2), 2);
    const v = verifyEnvelope(bytes);
    expect(v.recipients).toStrictEqual(pool.slice(0, 2).map((k) => k.publicKey));
    expect(v.kind).toBe('test');
  });

  it('refuses bad thresholds, duplicate recipients and oversize bodies', async () => {
    expect(await codeOf(seal(utf8.encode('x'), pool.slice(0, 2), 3))).toBe('ENVELOPE_BAD_THRESHOLD');
    expect(await codeOf(seal(utf8.encode('x'), pool.slice(0, 2), 0))).toBe('ENVELOPE_BAD_THRESHOLD');
    expect(await codeOf(seal(utf8.encode('x'), [pool[0]!, pool[0]!], 1))).toBe('INVALID_INPUT');
    expect(await codeOf(seal(new Uint8Array(ENVELOPE_MAX_PLAINTEXT + 1), pool.slice(0, 1), 1))).toBe(
      'ENVELOPE_TOO_LARGE',
    );
  });

  it('a 4 MiB body round-trips', async () => {
    const big = random(ENVELOPE_MAX_PLAINTEXT);
    const bytes = await seal(big, pool.slice(0, 2), 2);
    const opened = (await openEnvelope(bytes, { keys: pool.slice(0, 2) })).plaintext;
    // compare digests: a deep equality over 4 Mi elements is needlessly slow
    expect(toHex(backend.sha256(opened))).toBe(toHex(backend.sha256(big)));
  });
});
