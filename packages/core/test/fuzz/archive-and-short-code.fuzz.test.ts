/**
 * Fuzzing of the archive's lists and transcripts and of short invite codes (issue #17,
 * docs/SECURITY.md "Fuzzing"): the plaintext formats (active list, transcript, history index)
 * both alone and behind a real signed envelope (so the open path reaches them), mutations of
 * sealed lists, re-wrapped shares, typed short codes, and the short-code PAKE messages a LAN
 * stranger sends. A value or a catalogued error, never a crash.
 * Long mode: KITH_FUZZ_RUNS=1000000 npx vitest run --project unit fuzz
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActiveListFormat } from '../../src/archive/active-list.ts';
import { encodeHistoryIndex } from '../../src/archive/history-index.ts';
import {
  ARCHIVE_ENVELOPE_KIND,
  openActiveList,
  openFriendBundle,
  openHistoryIndex,
  openRewrappedShare,
  openTranscript,
  readOpenedArchive,
  rewrapShare,
  sealArchiveIndex,
} from '../../src/archive/archive-seal.ts';
import { TranscriptFormat } from '../../src/archive/transcript.ts';
import { fromHex, nobleBackend } from '../../src/crypto/index.ts';
import { envelopeId, type OpenedEnvelope, openEnvelope, sealEnvelope } from '../../src/envelope.ts';
import type { AgreementKeyPair, SigningKeyPair } from '../../src/identity/derive.ts';
import {
  acceptorFinish,
  acceptorStart,
  inviterReply,
  openLongCode,
} from '../../src/pairing/short-code-pake.ts';
import { parseShortCode } from '../../src/pairing/short-code.ts';
import {
  fuzzAssert,
  decodesOrRefuses,
  decoderInput,
  deterministicBytes,
  FUZZ_TIMEOUT,
  mutationsOf,
  params,
  rawBytes,
  rethrowUnlessCatalogued,
  shortParams,
} from './harness.ts';

const backend = nobleBackend;
const counter = deterministicBytes;
const random = counter(1);
const agreement = (fill: number): AgreementKeyPair => {
  const privateKey = new Uint8Array(32).fill(fill);
  return { privateKey, publicKey: backend.x25519PublicKey(privateKey) };
};
const sender: SigningKeyPair = (() => {
  const seed = new Uint8Array(32).fill(9);
  return { seed, publicKey: backend.ed25519PublicKey(seed) };
})();
const [X, H, R] = [agreement(1), agreement(2), agreement(3)] as const;
const base = { sender, createdAt: 1_700_000_000_000, random, backend };

const activeList = {
  v: 1 as const,
  entries: [{ topic: new Uint8Array(32).fill(4), blob: new Uint8Array(32).fill(5), updatedAt: 7 }],
};
const historyIndex = {
  v: 1 as const,
  entries: [
    { topic: new Uint8Array(32).fill(6), blob: new Uint8Array(32).fill(7), closedAt: 9, messages: 3 },
  ],
};
const transcript = {
  v: 1 as const,
  conversation: 'conv-1',
  topic: 'Dinner',
  kind: 'direct' as const,
  members: ['user-a', 'user-b'],
  closedAt: null,
  messages: [{ id: 'ab01', from: 'user-a', device: 'dev-x', sentAt: 1, text: 'hi' }],
};
const activeBytes = ActiveListFormat.encode(activeList);
const transcriptBytes = TranscriptFormat.encode(transcript);

const sealedActive = await sealArchiveIndex({
  ...base,
  name: 'active',
  list: activeList,
  owners: [X.publicKey],
  holders: [H.publicKey],
});
const sealedHistory = await sealArchiveIndex({
  ...base,
  name: 'conversations',
  list: historyIndex,
  owners: [X.publicKey],
  recovery: R.publicKey,
});

/** A real envelope (t = 1, to X) of the given kind around a fuzzed plaintext. */
const sealedAround = (kind: string, plaintext: Uint8Array) =>
  sealEnvelope({ ...base, kind, plaintext, recipients: [X.publicKey], threshold: 1 });
const historyIndexBytes = encodeHistoryIndex(historyIndex);
/** One real envelope of each archive kind, sealed and opened once: the long property swaps its plaintext. */
const openedOfKind = new Map<string, OpenedEnvelope>();
for (const kind of Object.values(ARCHIVE_ENVELOPE_KIND)) {
  openedOfKind.set(kind, await openEnvelope(await sealedAround(kind, activeBytes), { keys: [X], backend }));
}

const asyncProp = <T>(name: string, input: fc.Arbitrary<T>, run: (x: T) => Promise<unknown>, short = 300) =>
  it(
    name,
    async () => {
      await fuzzAssert(
        fc.asyncProperty(input, async (x) => {
          try {
            await run(x);
          } catch (e) {
            rethrowUnlessCatalogued(e);
          }
        }),
        params(short),
      );
    },
    FUZZ_TIMEOUT,
  );
const prop = <T>(name: string, input: fc.Arbitrary<T>, decode: (x: T) => unknown, short = 1000) =>
  it(
    name,
    () => {
      fuzzAssert(
        fc.property(input, (x) => decodesOrRefuses(decode, x)),
        params(short),
      );
    },
    FUZZ_TIMEOUT,
  );

const WORDS = ['guitar', 'ocean', 'velvet', 'guit', 'oce', 'zzzz', 'abandon', 'zoo'];
const shortCodeText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc
    .tuple(
      fc.oneof(fc.integer({ min: -5, max: 10_000 }).map(String), fc.string({ maxLength: 5 })),
      fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 12 })), { maxLength: 6 }),
      fc.constantFrom('-', ' ', '  ', '\t', '-\u00a0'),
    )
    .map(([n, words, sep]) => [n, ...words].join(sep)),
);

describe('fuzz: archive lists, transcripts and short codes give a value or a catalogued error', () => {
  prop('archive active lists (ActiveListFormat.decode)', decoderInput([activeBytes], { v: 1 }), (b) =>
    ActiveListFormat.decode(b),
  );
  prop('archive transcripts (TranscriptFormat.decode)', decoderInput([transcriptBytes], { v: 1 }), (b) =>
    TranscriptFormat.decode(b),
  );
  asyncProp(
    'sealed archive lists, mutated (openActiveList, openHistoryIndex, openTranscript)',
    fc.oneof(rawBytes(), mutationsOf([sealedActive, sealedHistory])),
    async (b) => {
      for (const open of [openActiveList, openHistoryIndex, openTranscript]) {
        try {
          await open(b, { keys: [X, H, R], backend });
        } catch (e) {
          rethrowUnlessCatalogued(e);
        }
      }
    },
  );
  // End to end (a real envelope sealed per case, some 40 ms): its short count in long mode too;
  // the property after it is this path's long-mode property.
  const kinds = [
    ARCHIVE_ENVELOPE_KIND.active,
    ARCHIVE_ENVELOPE_KIND.conversations,
    ARCHIVE_ENVELOPE_KIND.current,
    ARCHIVE_ENVELOPE_KIND.friends,
  ] as const;
  const hostilePlaintext = fc.tuple(
    fc.constantFrom(...kinds),
    decoderInput([activeBytes, transcriptBytes, historyIndexBytes], { v: 1 }),
  );
  const openers = [openActiveList, openHistoryIndex, openTranscript, openFriendBundle];
  it(
    'hostile plaintext in a valid envelope, sealed per case (open active list, history index, transcript, friend bundle)',
    async () => {
      await fuzzAssert(
        fc.asyncProperty(hostilePlaintext, async ([kind, plaintext]) => {
          const sealed = await sealedAround(kind, plaintext);
          for (const open of openers) {
            try {
              await open(sealed, { keys: [X], backend });
            } catch (e) {
              rethrowUnlessCatalogued(e);
            }
          }
        }),
        shortParams(150),
      );
    },
    FUZZ_TIMEOUT,
  );
  prop(
    'hostile plaintext after a real envelope opened (readOpenedArchive: kind check and decoding)',
    hostilePlaintext,
    ([kind, plaintext]) => {
      const opened = { ...openedOfKind.get(kind)!, plaintext };
      for (const read of Object.values(readOpenedArchive)) decodesOrRefuses(read, opened);
    },
  );
  it('an envelope opened once per kind reads as its open function does (control for the property above)', async () => {
    const sealed = await sealedAround(ARCHIVE_ENVELOPE_KIND.active, activeBytes);
    const viaOpen = await openActiveList(sealed, { keys: [X], backend });
    const opened = { ...openedOfKind.get(ARCHIVE_ENVELOPE_KIND.active)!, plaintext: activeBytes };
    expect(readOpenedArchive.activeList(opened)).toEqual(viaOpen);
    expect(() => readOpenedArchive.transcript(opened)).toThrow(/kind/);
  });
  asyncProp(
    're-wrapped archive shares (openRewrappedShare)',
    fc.oneof(rawBytes(200), mutationsOf([fromHex('00'.repeat(80))])),
    (wrapped) => openRewrappedShare({ envelopeId: envelopeId(sealedActive), wrapped, key: X }),
  );
  it('a re-wrapped share round-trips (control for the property above)', async () => {
    const share = new Uint8Array(33).fill(1);
    const wrapped = await rewrapShare({
      envelopeId: envelopeId(sealedActive),
      share,
      to: X.publicKey,
      random,
    });
    const opened = await openRewrappedShare({ envelopeId: envelopeId(sealedActive), wrapped, key: X });
    if (opened.length !== 33) throw new Error('the control share did not open');
  });

  prop('short codes typed by a person (parseShortCode)', shortCodeText, (s) => parseShortCode(s), 3000);

  const code = { nameplate: 7, words: ['guitar', 'ocean', 'velvet'] };
  const start = acceptorStart(code, counter(2));
  const bytesOf = (n: number) => fc.oneof(fc.uint8Array({ minLength: n, maxLength: n }), rawBytes(80));
  prop(
    'short-code hello from a LAN stranger (inviterReply)',
    fc.record({ sid: bytesOf(16), ya: bytesOf(32) }),
    (hello) => inviterReply(code, hello, counter(3), backend),
    300,
  );
  prop(
    'short-code reply from a LAN stranger (acceptorFinish)',
    fc.record({ yb: bytesOf(32), confirm: bytesOf(32) }),
    (reply) => acceptorFinish(code, start, reply, backend),
    300,
  );
  const { keys } = inviterReply(code, start.hello, counter(4), backend);
  prop('sealed long code (openLongCode)', rawBytes(300), (b) => openLongCode(keys, b, backend), 1000);
});
