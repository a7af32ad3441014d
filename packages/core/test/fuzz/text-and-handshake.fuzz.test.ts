/**
 * Fuzzing of the decoders of text and of the link handshake (issue #17, docs/SECURITY.md
 * "Fuzzing"): invite codes (KITH1…), CEL rules (compiled and evaluated), the link hello and
 * Noise messages 1 and 2, TAI64N labels and link frames. A value or a catalogued error, never a
 * crash. Long mode: KITH_FUZZ_RUNS=1000000 npx vitest run --project unit fuzz
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePredicate, evaluatePredicate } from '../../src/consensus/cel/predicate.ts';
import { tally } from '../../src/consensus/tally.ts';
import { concatBytes, nobleBackend } from '../../src/crypto/index.ts';
import { nativeBackend } from '../../src/crypto/native.ts';
import { noiseKeyPairFromPrivate } from '../../src/noise/dh25519.ts';
import { decodeFrame, FRAME_KIND, fragmentMessage, MAX_FRAGMENT } from '../../src/noise/link-frame.ts';
import { createLinkHello, finishLinkHandshake, readLinkHello } from '../../src/noise/link-handshake.ts';
import { decodeLinkHello, type LinkHello } from '../../src/noise/link-hello.ts';
import { computeMac1, mac1Key } from '../../src/noise/mac1.ts';
import { decodeTai64n } from '../../src/noise/tai64n.ts';
import { decodeInvite, encodeInvite } from '../../src/pairing/invite-code.ts';
import { cast, input, memberIds, no, yes } from '../consensus/helpers.ts';
import { fuzzAssert, decodesOrRefuses, FUZZ_TIMEOUT, mutationsOf, params, rawBytes } from './harness.ts';

const backend = nobleBackend;
const fixedRandom = (fill: number) => (n: number) => new Uint8Array(n).fill(fill);
const keys = (fill: number) => noiseKeyPairFromPrivate(backend, new Uint8Array(32).fill(fill));
const responder = keys(1);
const initiator = keys(2);

const invite = encodeInvite(
  {
    role: 'friend',
    user: 'bwwcj-x6s30-63kpz-cp8fe-trg9y',
    key: new Uint8Array(32).fill(3),
    id: new Uint8Array(16).fill(4),
    secret: new Uint8Array(16).fill(5),
    addrs: ['192.0.2.1:7470'],
    exp: 1_800_000_000_000,
  },
  backend,
);
const CODE_CHARS = [...'0123456789ABCDEFGHJKMNPQRSTVWXYZ-IiLlOo u!\u00e9\u{1f600}'];

/** Edits of a valid code: replaced, inserted, deleted and repeated characters. */
const inviteText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc
    .array(fc.tuple(fc.nat(), fc.constantFrom(...CODE_CHARS), fc.integer({ min: 0, max: 3 })), {
      minLength: 1,
      maxLength: 4,
    })
    .map((edits) =>
      edits.reduce((code, [at, c, op]) => {
        const p = at % (code.length + 1);
        if (op === 0) return code.slice(0, p) + c + code.slice(p + 1);
        if (op === 1) return code.slice(0, p) + c + code.slice(p);
        if (op === 2) return code.slice(0, p) + code.slice(p + 1);
        return code + code.slice(p);
      }, invite),
    ),
);

const CEL_TOKENS = [
  'yes',
  'no',
  'abstain',
  'members',
  'options',
  'ballots',
  'turnout',
  'size',
  'votes',
  'winner',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '.',
  ',',
  ':',
  '?',
  '!',
  '-',
  '+',
  '*',
  '/',
  '%',
  '<',
  '<=',
  '>',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
  'in',
  'true',
  'false',
  'null',
  '0',
  '1',
  '2',
  '1000000000000',
  '1.5',
  "'a'",
  'b"x"',
  'all',
  'exists',
  'exists_one',
  'map',
  'filter',
  'x',
  'int(',
  'string(',
  'double(',
  'size(',
  'matches(',
  'has(',
  'now',
  'deadline',
  '\\',
  '"',
  '#',
  '9223372036854775807',
  '-9223372036854775808',
];
const celSource = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.array(fc.constantFrom(...CEL_TOKENS), { maxLength: 40 }).map((t) => t.join(' ')),
  fc.array(fc.constantFrom(...CEL_TOKENS), { maxLength: 40 }).map((t) => t.join('')),
);
const someTally = tally(
  input({
    members: memberIds(3),
    ballots: cast([
      ['m001', yes],
      ['m002', no],
    ]),
    now: 1,
    deadline: 2,
  }),
);

/** A valid hello to the responder, and the same with message 1 changed but mac1 recomputed. */
const validHello = createLinkHello({
  staticKeyPair: initiator,
  remoteStaticKey: responder.publicKey,
  timestampNanos: 1_750_000_000_000_000_000n,
  random: fixedRandom(7),
}).hello;
const macKey = mac1Key(responder.publicKey);
const withMac = (body: Uint8Array) => concatBytes(body, computeMac1(macKey, body));

describe('fuzz: text and handshake decoders give a value or a catalogued error', () => {
  it(
    'invite codes (decodeInvite)',
    () => {
      fuzzAssert(
        fc.property(inviteText, (s) => decodesOrRefuses((x: string) => decodeInvite(x, backend), s)),
        params(3000),
      );
    },
    FUZZ_TIMEOUT,
  );

  it('regression: a very long invite code is refused before any decoding work', () => {
    expect(() => decodeInvite(`KITH1${'0'.repeat(5_000_000)}`, backend)).toThrow(/far too long/);
  });

  it(
    'CEL rules (compilePredicate, then evaluatePredicate on a tally)',
    () => {
      fuzzAssert(
        fc.property(celSource, (src) =>
          decodesOrRefuses((s: string) => evaluatePredicate(compilePredicate(s), someTally), src),
        ),
        params(1500),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'link hellos (decodeLinkHello, then readLinkHello when mac1 passes)',
    () => {
      const hello = fc.oneof(
        rawBytes(300),
        mutationsOf([validHello]),
        // Message 1 changed, mac1 still right: the Noise decryption must refuse it.
        mutationsOf([validHello.subarray(0, validHello.length - 16)]).map(withMac),
      );
      fuzzAssert(
        fc.property(hello, (bytes) => {
          const decoded = decodeLinkHello(bytes, macKey);
          if (decoded === undefined) return;
          decodesOrRefuses(
            (h: LinkHello) => readLinkHello(h, { staticKeyPair: responder, random: fixedRandom(9), backend }),
            decoded,
          );
        }),
        params(1500),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'Noise message 2 read by the initiator (finishLinkHandshake)',
    () => {
      // A fresh initiator handshake per case (three X25519 operations besides the decoder's
      // own), on the agent's backend: noble's X25519 costs six times as much per case.
      const native = { backend: nativeBackend };
      const initiatorKeys = noiseKeyPairFromPrivate(nativeBackend, new Uint8Array(32).fill(2));
      const hello = () =>
        createLinkHello({
          staticKeyPair: initiatorKeys,
          remoteStaticKey: responder.publicKey,
          timestampNanos: 1_750_000_000_000_000_000n,
          random: fixedRandom(7),
          ...native,
        });
      const decoded = decodeLinkHello(hello().hello, macKey)!;
      const answer = readLinkHello(decoded, { staticKeyPair: responder, random: fixedRandom(9), ...native });
      const message2 = answer.handshake.writeMessage(new Uint8Array(0));
      // Control: the unchanged message 2 completes the handshake.
      expect(finishLinkHandshake(hello().handshake, message2).remoteStaticKey).toEqual(responder.publicKey);
      fuzzAssert(
        fc.property(fc.oneof(rawBytes(200), mutationsOf([message2])), (bytes) => {
          const { handshake } = hello();
          decodesOrRefuses((b: Uint8Array) => finishLinkHandshake(handshake, b), bytes);
        }),
        params(150),
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    'TAI64N labels and link frames (decodeTai64n, decodeFrame)',
    () => {
      fuzzAssert(
        fc.property(rawBytes(64), (bytes) => {
          decodeTai64n(bytes);
          const frame = decodeFrame(bytes);
          if (frame) expect(frame.body.length).toBe(bytes.length - 1);
        }),
        params(3000),
      );
    },
    FUZZ_TIMEOUT,
  );

  it('regression: an empty MORE fragment is refused (a peer could grow the reassembly list without bound)', () => {
    expect(decodeFrame(Uint8Array.of(FRAME_KIND.MORE))).toBeUndefined();
    // What fragmentMessage sends still decodes: MORE fragments are full, the last is DATA.
    const frames = fragmentMessage(new Uint8Array(MAX_FRAGMENT * 2 + 3));
    expect(frames.map((f) => decodeFrame(f)?.kind)).toEqual([
      FRAME_KIND.MORE,
      FRAME_KIND.MORE,
      FRAME_KIND.DATA,
    ]);
    expect(decodeFrame(Uint8Array.of(FRAME_KIND.DATA))?.body.length).toBe(0);
  });
});
