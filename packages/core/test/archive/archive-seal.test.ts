/**
 * Archive encryption (docs/ARCHITECTURE.md "Archive encryption and retrieval"): who can open
 * current and history transcripts and the two lists, and share re-wrapping between devices.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ARCHIVE_ENVELOPE_KIND,
  openActiveList,
  openFriendBundle,
  openHistoryIndex,
  openRewrappedShare,
  openTranscript,
  rewrapShare,
  sealArchiveIndex,
  sealCurrent,
  sealFriendBundle,
  sealHistory,
  topicHash,
} from '../../src/archive/archive-seal.ts';
import { type FriendBundle, FriendBundleFormat } from '../../src/archive/friend-bundle.ts';
import type { Transcript } from '../../src/archive/transcript.ts';
import { toHex, utf8 } from '../../src/crypto/bytes.ts';
import { nobleBackend } from '../../src/crypto/index.ts';
import { envelopeId, unwrapShare, unwrapShares, verifyEnvelope } from '../../src/envelope.ts';
import { isKithError } from '../../src/errors.ts';
import type { AgreementKeyPair, SigningKeyPair } from '../../src/identity/derive.ts';
import { HASH, frameWithLabel } from '../../src/labels.ts';

const random = (n: number) => new Uint8Array(randomBytes(n));
const backend = nobleBackend;
const agreement = (): AgreementKeyPair => {
  const privateKey = random(32);
  return { privateKey, publicKey: backend.x25519PublicKey(privateKey) };
};
const sender: SigningKeyPair = (() => {
  const seed = random(32);
  return { seed, publicKey: backend.ed25519PublicKey(seed) };
})();

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (isKithError(e)) return e.code;
    throw e;
  }
  return undefined;
}

// Owner devices X, Y, Z, the recovery key R, friends' holder devices H1, H2, a stranger S.
const [X, Y, Z, R, H1, H2, S] = Array.from({ length: 7 }, agreement) as [
  AgreementKeyPair,
  AgreementKeyPair,
  AgreementKeyPair,
  AgreementKeyPair,
  AgreementKeyPair,
  AgreementKeyPair,
  AgreementKeyPair,
];

const transcript: Transcript = {
  v: 1,
  conversation: 'conv-1',
  topic: 'Dinner on Friday',
  kind: 'direct',
  members: ['user-a', 'user-b'],
  closedAt: null,
  messages: [{ id: 'ab01', from: 'user-a', device: 'dev-x', sentAt: 1_700_000_000_000, text: 'hi' }],
};
const base = { sender, createdAt: 1_700_000_000_000, random };

describe('archive sealing', () => {
  it('topicHash is SHA-256 over the labelled conversation id', () => {
    const expected = backend.sha256(frameWithLabel(HASH.ARCHIVE_TOPIC, utf8.encode('conv-1')));
    expect(toHex(topicHash('conv-1'))).toBe(toHex(expected));
    expect(topicHash('conv-1')).toHaveLength(32);
    expect(toHex(topicHash('conv-2'))).not.toBe(toHex(expected));
  });

  it('current: an owner device plus a holder opens it; a holder alone or owner devices alone do not', async () => {
    const bytes = await sealCurrent({
      ...base,
      transcript,
      owners: [X.publicKey, Y.publicKey],
      holders: [H1.publicKey, H2.publicKey],
    });
    expect(verifyEnvelope(bytes).kind).toBe(ARCHIVE_ENVELOPE_KIND.current);
    for (const owner of [X, Y]) {
      for (const holder of [H1, H2]) {
        const share = await unwrapShare(bytes, holder);
        const opened = await openTranscript(bytes, { keys: [owner], shares: [share] });
        expect(opened.transcript).toStrictEqual(transcript);
        expect(opened.kind).toBe('current');
      }
    }
    expect(await codeOf(openTranscript(bytes, { keys: [X, Y] }))).toBe('ENVELOPE_TOO_FEW_SHARES');
    expect(await codeOf(openTranscript(bytes, { keys: [H1, H2] }))).toBe('ENVELOPE_TOO_FEW_SHARES');
    expect(await codeOf(openTranscript(bytes, { keys: [S] }))).toBe('ENVELOPE_WRONG_KEY');
  });

  it('history: one share (any single key) fails; X+R, Y+R and X+Y open', async () => {
    const bytes = await sealHistory({
      ...base,
      transcript: { ...transcript, closedAt: 1_700_000_500_000 },
      archivist: X.publicKey,
      second: Y.publicKey,
      recovery: R.publicKey,
    });
    for (const one of [X, Y, R]) {
      expect(await codeOf(openTranscript(bytes, { keys: [one] }))).toBe('ENVELOPE_TOO_FEW_SHARES');
    }
    expect(await codeOf(openTranscript(bytes, { keys: [Z, H1] }))).toBe('ENVELOPE_WRONG_KEY');
    for (const [a, b] of [
      [X, R],
      [Y, R],
      [X, Y],
    ] as const) {
      const handed = await unwrapShare(bytes, b);
      const opened = await openTranscript(bytes, { keys: [a], shares: [handed] });
      expect(opened.kind).toBe('history');
      expect(opened.transcript.closedAt).toBe(1_700_000_500_000);
    }
  });

  it('history needs two different devices and a recovery key that is not one of them', async () => {
    const t = { ...base, transcript };
    expect(
      await codeOf(sealHistory({ ...t, archivist: X.publicKey, second: X.publicKey, recovery: R.publicKey })),
    ).toBe('ARCHIVE_HISTORY_ONE_DEVICE');
    expect(
      await codeOf(sealHistory({ ...t, archivist: X.publicKey, second: Y.publicKey, recovery: Y.publicKey })),
    ).toBe('INVALID_INPUT');
  });

  it('active list is 2-of-2; history index opens with any owner device or the recovery key alone', async () => {
    const active = {
      v: 1 as const,
      entries: [{ topic: topicHash('conv-1'), blob: random(32), updatedAt: 5 }],
    };
    const a = await sealArchiveIndex({
      ...base,
      name: 'active',
      list: active,
      owners: [X.publicKey, Y.publicKey],
      holders: [H1.publicKey],
    });
    expect(await codeOf(openActiveList(a, { keys: [X] }))).toBe('ENVELOPE_TOO_FEW_SHARES');
    expect(await openActiveList(a, { keys: [X], shares: [await unwrapShare(a, H1)] })).toStrictEqual(active);

    const index = {
      v: 1 as const,
      entries: [{ topic: topicHash('conv-1'), blob: random(32), closedAt: 9, messages: 3 }],
    };
    const h = await sealArchiveIndex({
      ...base,
      name: 'conversations',
      list: index,
      owners: [X.publicKey, Y.publicKey],
      recovery: R.publicKey,
    });
    for (const k of [X, Y, R]) expect(await openHistoryIndex(h, { keys: [k] })).toStrictEqual(index);
    expect(await codeOf(openHistoryIndex(h, { keys: [H1] }))).toBe('ENVELOPE_WRONG_KEY');
    // a list is not a transcript, and the reverse
    expect(await codeOf(openTranscript(h, { keys: [X] }))).toBe('ARCHIVE_WRONG_KIND');
    const c = await sealCurrent({ ...base, transcript, owners: [X.publicKey], holders: [H1.publicKey] });
    expect(await codeOf(openActiveList(c, { keys: [X, H1] }))).toBe('ARCHIVE_WRONG_KIND');
  });
});

describe('friend bundle', () => {
  const bundle: FriendBundle = {
    v: 1,
    list: random(200),
    friends: [{ user: 'abcde-fghjk-mnpqr-stvwx-yz012', log: [random(300)], addresses: [random(100)] }],
  };

  it('opens with any owner device or the recovery key alone (the phrase), never with a holder', async () => {
    const b = await sealFriendBundle({
      ...base,
      bundle,
      owners: [X.publicKey, Y.publicKey],
      recovery: R.publicKey,
    });
    for (const k of [X, Y, R])
      expect((await openFriendBundle(b, { keys: [k] })).bundle).toStrictEqual(bundle);
    expect(await codeOf(openFriendBundle(b, { keys: [H1, S] }))).toBe('ENVELOPE_WRONG_KEY');
    // not a transcript or a list, and neither of those is a bundle
    expect(await codeOf(openTranscript(b, { keys: [X] }))).toBe('ARCHIVE_WRONG_KIND');
    const c = await sealCurrent({ ...base, transcript, owners: [X.publicKey], holders: [H1.publicKey] });
    expect(await codeOf(openFriendBundle(c, { keys: [X, H1] }))).toBe('ARCHIVE_WRONG_KIND');
  });

  it('is bounded: too many address records or a log of too many entries is refused', () => {
    const tooMany = {
      ...bundle,
      friends: [{ ...bundle.friends[0]!, addresses: Array.from({ length: 17 }, () => random(8)) }],
    };
    expect(() => FriendBundleFormat.encode(tooMany)).toThrow(
      expect.objectContaining({ code: 'CODEC_SCHEMA' }),
    );
    const bigLog = {
      ...bundle,
      friends: [{ ...bundle.friends[0]!, log: Array.from({ length: 257 }, () => random(8)) }],
    };
    expect(() => FriendBundleFormat.encode(bigLog)).toThrow(
      expect.objectContaining({ code: 'CODEC_SCHEMA' }),
    );
  });
});

describe('share re-wrap', () => {
  it('a holder re-wraps its share to an owner device, which opens the current transcript', async () => {
    const bytes = await sealCurrent({
      ...base,
      transcript,
      owners: [X.publicKey, Y.publicKey],
      holders: [H1.publicKey],
    });
    const id = envelopeId(bytes);
    const [holderShare] = await unwrapShares(bytes, H1);
    const wrapped = await rewrapShare({ envelopeId: id, share: holderShare!.share, to: Y.publicKey, random });
    const share = await openRewrappedShare({ envelopeId: id, wrapped, key: Y });
    expect(share).toStrictEqual(holderShare!.share);
    expect((await openTranscript(bytes, { keys: [Y], shares: [share] })).transcript).toStrictEqual(
      transcript,
    );
  });

  it('bound to its envelope id and its recipient: another id, another key or a flipped bit fail', async () => {
    const id = random(32);
    const share = random(33);
    const wrapped = await rewrapShare({ envelopeId: id, share, to: X.publicKey, random });
    expect(await openRewrappedShare({ envelopeId: id, wrapped, key: X })).toStrictEqual(share);
    expect(await codeOf(openRewrappedShare({ envelopeId: random(32), wrapped, key: X }))).toBe(
      'ARCHIVE_SHARE_INVALID',
    );
    expect(await codeOf(openRewrappedShare({ envelopeId: id, wrapped, key: Y }))).toBe(
      'ARCHIVE_SHARE_INVALID',
    );
    // a thief who has Y's private key but presents it as X's public key gains nothing either
    expect(
      await codeOf(
        openRewrappedShare({
          envelopeId: id,
          wrapped,
          key: { privateKey: Y.privateKey, publicKey: X.publicKey },
        }),
      ),
    ).toBe('ARCHIVE_SHARE_INVALID');
    expect(
      await codeOf(openRewrappedShare({ envelopeId: id, wrapped: wrapped.subarray(0, 40), key: X })),
    ).toBe('ARCHIVE_SHARE_INVALID');
    await fc.assert(
      fc.asyncProperty(fc.nat(wrapped.length * 8 - 1), async (bit) => {
        const m = wrapped.slice();
        m[bit >> 3]! ^= 1 << (bit & 7);
        expect(await codeOf(openRewrappedShare({ envelopeId: id, wrapped: m, key: X }))).toBe(
          'ARCHIVE_SHARE_INVALID',
        );
      }),
      { numRuns: 60 },
    );
  });

  it('rewrap/open round-trips any share (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        async (id, share) => {
          const wrapped = await rewrapShare({ envelopeId: id, share, to: Z.publicKey, random });
          expect(await openRewrappedShare({ envelopeId: id, wrapped, key: Z })).toStrictEqual(share);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('refuses malformed input with clear codes', async () => {
    expect(
      await codeOf(rewrapShare({ envelopeId: random(31), share: random(33), to: X.publicKey, random })),
    ).toBe('INVALID_INPUT');
    expect(
      await codeOf(rewrapShare({ envelopeId: random(32), share: random(65), to: X.publicKey, random })),
    ).toBe('INVALID_INPUT');
    expect(
      await codeOf(rewrapShare({ envelopeId: random(32), share: random(33), to: random(31), random })),
    ).toBe('CRYPTO_BAD_KEY');
  });
});
