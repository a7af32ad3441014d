import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical } from '../../src/codec.ts';
import { Conversation } from '../../src/conversation/conversation.ts';
import { EventFormat, openEvent, signEvent } from '../../src/conversation/event.ts';
import { GenesisFormat, openGenesis } from '../../src/conversation/genesis.ts';
import { conversationIdOf } from '../../src/conversation/ids.ts';
import { OutcomeFormat, openOutcome } from '../../src/conversation/outcome.ts';
import { toHex } from '../../src/crypto/index.ts';
import { SIG } from '../../src/labels.ts';
import { signWithLabel } from '../../src/signing.ts';
import { alice, bob, carol, codeOf, conversationOf, genesisOf, isDeviceOf, T0, vote } from './helpers.ts';

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out[at % out.length]! ^= 1 << (at % 8);
  return out;
}

describe('genesis format', () => {
  it('round-trips: open(create(x)) has the same fields and id', () => {
    const g = genesisOf({
      options: ['park', 'lake'],
      consensus: { method: 'plurality' },
      deadline: T0 + 60_000,
    });
    const o = openGenesis(g.bytes, isDeviceOf);
    expect(o.id).toBe(g.id);
    expect(o.topic).toBe(g.topic);
    expect(o.members).toEqual(g.members);
    expect(o.options).toEqual(['park', 'lake']);
    expect(o.deadline).toBe(T0 + 60_000);
    expect(o.membership).toBe('creator');
    expect(o.method.method).toBe('plurality');
    expect(GenesisFormat.encode(GenesisFormat.decode(g.bytes))).toEqual(g.bytes);
    expect(o.id).toBe(conversationIdOf(GenesisFormat.decode(g.bytes).genesis));
  });

  it('round-trips random topics, members, options and deadlines (property)', () => {
    const people = [alice, bob, carol];
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.subarray(people, { minLength: 1 }),
        fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { minLength: 2, maxLength: 8 }),
        fc.option(fc.integer({ min: 1, max: 10 ** 9 }), { nil: null }),
        (topic, members, options, after) => {
          const g = genesisOf({
            topic,
            members: members.map((p) => p.userId),
            options,
            consensus: { method: 'approval' },
            deadline: after === null ? null : T0 + after,
          });
          const o = openGenesis(g.bytes, isDeviceOf);
          expect([o.id, o.topic, o.members, o.options, o.deadline]).toEqual([
            g.id,
            topic,
            members.map((p) => p.userId),
            options,
            after === null ? null : T0 + after,
          ]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('two geneses that differ only by the nonce have different ids', () => {
    const a = genesisOf();
    const b = genesisOf({}, alice, () => new Uint8Array(16).fill(9));
    expect(a.id).not.toBe(b.id);
  });

  it('a tampered genesis does not open', () => {
    const g = genesisOf();
    fc.assert(
      fc.property(fc.nat(), (at) => {
        expect(codeOf(() => openGenesis(flip(g.bytes, at), isDeviceOf))).toMatch(
          /^(CRYPTO_BAD_SIGNATURE|CODEC_|CONVERSATION_BAD_GENESIS|ID_INVALID)/,
        );
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a genesis signed by a device that is not the creator’s', () => {
    const g = genesisOf({ creator: bob.userId });
    expect(codeOf(() => openGenesis(g.bytes, isDeviceOf))).toBe('CONVERSATION_UNKNOWN_DEVICE');
  });

  it('refuses bad geneses with clear codes', () => {
    expect(codeOf(() => genesisOf({ pattern: 'chat' }))).toBe('CONVERSATION_UNKNOWN_PATTERN');
    expect(codeOf(() => genesisOf({ consensus: { method: 'coin-toss' } }))).toBe('CONSENSUS_UNKNOWN_METHOD');
    expect(codeOf(() => genesisOf({ consensus: { method: 'majority', params: { x: 1 } } }))).toBe(
      'CONSENSUS_BAD_PARAMS',
    );
    expect(codeOf(() => genesisOf({ pattern: 'announcement', consensus: { method: 'majority' } }))).toBe(
      'CONVERSATION_METHOD_MISMATCH',
    );
    expect(codeOf(() => genesisOf({ consensus: { method: 'plurality' }, options: ['only'] }))).toBe(
      'CONVERSATION_BAD_GENESIS',
    );
    expect(codeOf(() => genesisOf({ members: [bob.userId, bob.userId] }))).toBe('CONVERSATION_BAD_GENESIS');
    expect(codeOf(() => genesisOf({ members: ['not-a-user'] }))).toBe('CONVERSATION_BAD_GENESIS');
    expect(codeOf(() => genesisOf({ members: [] }))).toBe('CONVERSATION_BAD_GENESIS');
    expect(codeOf(() => genesisOf({ deadline: T0 }))).toBe('CONVERSATION_DEADLINE_IN_PAST');
    expect(codeOf(() => genesisOf({ pattern: 'debate', patternParams: { rounds: 0 } }))).toBe(
      'CONVERSATION_BAD_PATTERN_PARAMS',
    );
    expect(
      codeOf(() => genesisOf({ pattern: 'time-poll', consensus: { method: 'approval' }, options: ['a'] })),
    ).toBe('CONVERSATION_BAD_GENESIS');
    expect(codeOf(() => genesisOf({ consensus: { rule: 'turnout >' } }))).toBe('CONSENSUS_CEL_SYNTAX');
    expect(codeOf(() => genesisOf({ options: ['a', 'a'], consensus: { method: 'approval' } }))).toBe(
      'CONSENSUS_BAD_INPUT',
    );
  });

  it('a bare CEL rule becomes method "cel" counting the pattern’s ballots', () => {
    const g = genesisOf({ pattern: 'sense-check', consensus: { rule: 'yes >= 2' } });
    expect(g.consensus).toEqual({ method: 'cel', params: { done: 'yes >= 2', accepts: ['yes-no'] } });
    expect(openGenesis(g.bytes, isDeviceOf).method.accepts).toEqual(['yes-no']);
  });
});

describe('event format', () => {
  const g = genesisOf();

  it('round-trips random bodies, kinds and parents (property)', () => {
    const body = fc.dictionary(
      fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'),
      fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null)),
      { maxKeys: 5 },
    );
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
        body,
        fc.uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.nat(),
        (kind, b, parents, createdAt) => {
          const e = signEvent(
            { conversation: g.id, author: bob.userId, kind, body: b, parents, createdAt },
            bob.device,
          );
          const o = openEvent(e.bytes);
          expect(o).toEqual(e);
          expect(o.parents).toEqual([...parents].sort());
          expect(EventFormat.encode(EventFormat.decode(e.bytes))).toEqual(e.bytes);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the id is the content hash: same content, same id; any change, another id', () => {
    const draft = {
      conversation: g.id,
      author: bob.userId,
      kind: 'comment',
      body: { text: 'hi' },
      parents: [g.id],
      createdAt: T0,
    };
    const a = signEvent(draft, bob.device);
    expect(signEvent(draft, bob.device).id).toBe(a.id);
    expect(signEvent({ ...draft, createdAt: T0 + 1 }, bob.device).id).not.toBe(a.id);
    expect(signEvent(draft, bob.device2).id).not.toBe(a.id);
  });

  it('a tampered event does not open', () => {
    const e = signEvent(
      {
        conversation: g.id,
        author: bob.userId,
        kind: 'comment',
        body: { text: 'hi' },
        parents: [g.id],
        createdAt: T0,
      },
      bob.device,
    );
    fc.assert(
      fc.property(fc.nat(), (at) => {
        expect(codeOf(() => openEvent(flip(e.bytes, at)))).toMatch(
          /^(CRYPTO_BAD_SIGNATURE|CODEC_|CONVERSATION_BAD_PARENTS)/,
        );
      }),
      { numRuns: 200 },
    );
  });

  it('a signature under another label (the genesis label) does not verify as an event', () => {
    const e = signEvent(
      {
        conversation: g.id,
        author: bob.userId,
        kind: 'comment',
        body: { text: 'hi' },
        parents: [g.id],
        createdAt: T0,
      },
      bob.device,
    );
    const outer = EventFormat.decode(e.bytes);
    const forged = EventFormat.encode({
      ...outer,
      sig: signWithLabel(SIG.CONVERSATION_GENESIS, outer.event, bob.device.seed),
    });
    expect(codeOf(() => openEvent(forged))).toBe('CRYPTO_BAD_SIGNATURE');
  });

  it('refuses parents out of order or repeated, even when well signed', () => {
    const e = signEvent(
      {
        conversation: g.id,
        author: bob.userId,
        kind: 'comment',
        body: { text: 'x' },
        parents: ['aa'.repeat(32), 'bb'.repeat(32)],
        createdAt: T0,
      },
      bob.device,
    );
    const outer = EventFormat.decode(e.bytes);
    const body = decodeCanonical(outer.event) as Record<string, Uint8Array[]>;
    body.parents = [body.parents![1]!, body.parents![0]!];
    const bytes = encodeCanonical(body);
    const resigned = EventFormat.encode({
      v: 1,
      event: bytes,
      sig: signWithLabel(SIG.CONVERSATION_EVENT, bytes, bob.device.seed),
    });
    expect(codeOf(() => openEvent(resigned))).toBe('CONVERSATION_BAD_PARENTS');
  });
});

describe('outcome format', () => {
  it('round-trips and a tampered outcome does not open', () => {
    const c = conversationOf({ members: [alice.userId] });
    c.post(alice, 'vote', vote({ kind: 'yes-no', vote: 'yes' }), T0 + 1);
    const outcome = c.recordOutcome(alice, T0 + 2)!;
    expect(outcome).not.toBeNull();
    const o = openOutcome(outcome.bytes);
    expect(o).toEqual(outcome);
    expect(o.result.passed).toBe(true);
    expect(o.heads).toEqual(c.heads());
    expect(OutcomeFormat.encode(OutcomeFormat.decode(outcome.bytes))).toEqual(outcome.bytes);
    fc.assert(
      fc.property(fc.nat(), (at) => {
        expect(codeOf(() => openOutcome(flip(outcome.bytes, at)))).toMatch(
          /^(CRYPTO_BAD_SIGNATURE|CODEC_|CONVERSATION_OUTCOME_INVALID)/,
        );
      }),
      { numRuns: 200 },
    );
  });

  it('Conversation.open verifies the genesis bytes', () => {
    const g = genesisOf();
    expect(Conversation.open(g.bytes, { isDeviceOf }).id).toBe(g.id);
  });
});
