/** Archive formats (transcript, active list, history index): round-trips, limits, strictness. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActiveListFormat } from '../../src/archive/active-list.ts';
import {
  decodeHistoryIndex,
  encodeHistoryIndex,
  HistoryIndexFormat,
  HistoryIndexFormatV2,
  historySegments,
} from '../../src/archive/history-index.ts';
import { TranscriptFormat } from '../../src/archive/transcript.ts';
import { encodeCanonical } from '../../src/codec.ts';
import fixture from '../vectors/kith-history-index.json' with { type: 'json' };
import bundleFixture from '../vectors/kith-friend-bundle.json' with { type: 'json' };
import { FriendBundleFormat } from '../../src/archive/friend-bundle.ts';
import { codeOf } from '../helpers/code-of.ts';

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const time = fc.integer({ min: 0, max: 2 ** 48 });
const id = fc.string({ minLength: 1, maxLength: 40 });

const transcript = fc.record(
  {
    v: fc.constant(1 as const),
    conversation: id,
    topic: fc.string({ maxLength: 100 }),
    kind: fc.constantFrom('direct' as const, 'group' as const),
    members: fc.array(id, { maxLength: 5 }),
    closedAt: fc.option(time, { nil: null }),
    messages: fc.array(
      fc.record({
        id: fc.uint8Array({ minLength: 1, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
        from: id,
        device: id,
        sentAt: time,
        text: fc.string({ maxLength: 200 }),
      }),
      { maxLength: 5 },
    ),
    events: fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 3 }),
  },
  { requiredKeys: ['v', 'conversation', 'topic', 'kind', 'members', 'closedAt', 'messages'] },
);

const activeList = fc.record({
  v: fc.constant(1 as const),
  entries: fc.array(fc.record({ topic: bytes32, blob: bytes32, updatedAt: time }), { maxLength: 5 }),
});

const historyIndex = fc.record({
  v: fc.constant(1 as const),
  entries: fc.array(
    fc.record(
      {
        topic: bytes32,
        blob: bytes32,
        closedAt: time,
        messages: fc.nat(),
        holders: fc.array(id, { maxLength: 3 }),
      },
      { requiredKeys: ['topic', 'blob', 'closedAt', 'messages'] },
    ),
    { maxLength: 5 },
  ),
});

const historyIndexV2 = fc.record({
  v: fc.constant(2 as const),
  entries: fc.array(
    fc.record(
      {
        topic: bytes32,
        blob: bytes32,
        from: fc.option(time, { nil: null }),
        closedAt: time,
        messages: fc.nat(),
        holders: fc.array(id, { maxLength: 3 }),
      },
      { requiredKeys: ['topic', 'blob', 'from', 'closedAt', 'messages'] },
    ),
    { maxLength: 5 },
  ),
});

const fromHexJson = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const fixtureValue = <T extends { topic: string; blob: string }>(x: { v: number; entries: T[] }) => ({
  ...x,
  entries: x.entries.map((e) => ({ ...e, topic: fromHexJson(e.topic), blob: fromHexJson(e.blob) })),
});

describe('archive formats', () => {
  it('round-trip through canonical CBOR (property)', () => {
    fc.assert(
      fc.property(transcript, activeList, historyIndex, (t, a, h) => {
        expect(TranscriptFormat.decode(TranscriptFormat.encode(t))).toEqual(t);
        expect(ActiveListFormat.decode(ActiveListFormat.encode(a))).toEqual(a);
        expect(HistoryIndexFormat.decode(HistoryIndexFormat.encode(h))).toEqual(h);
      }),
      { numRuns: 200 },
    );
  });

  it('history index v2 round-trips, and decodeHistoryIndex reads both versions (property)', () => {
    fc.assert(
      fc.property(historyIndex, historyIndexV2, (h1, h2) => {
        expect(HistoryIndexFormatV2.decode(HistoryIndexFormatV2.encode(h2))).toEqual(h2);
        expect(decodeHistoryIndex(encodeHistoryIndex(h2))).toEqual(h2);
        expect(decodeHistoryIndex(encodeHistoryIndex(h1))).toEqual(h1);
        // A v1 entry reads as a segment of unknown start.
        expect(historySegments(h1)).toEqual(h1.entries.map((e) => ({ ...e, from: null })));
        expect(historySegments(h2)).toEqual(h2.entries);
      }),
      { numRuns: 200 },
    );
  });

  it('history index fixtures: v1 and v2 decode to their values and re-encode to the same bytes', () => {
    const cases: [
      number,
      { cbor: string; value: { v: number; entries: { topic: string; blob: string }[] } },
    ][] = [
      [1, fixture.v1],
      [2, fixture.v2],
    ];
    for (const [version, f] of cases) {
      const bytes = fromHexJson(f.cbor);
      const value = fixtureValue(f.value);
      expect(decodeHistoryIndex(bytes)).toEqual(value);
      expect(decodeHistoryIndex(bytes).v).toBe(version);
      expect(Buffer.from(encodeHistoryIndex(value as never)).toString('hex')).toBe(f.cbor);
    }
    // v2 needs `from` on every entry; v1 refuses it; an unknown version is refused.
    const v2 = fixtureValue(fixture.v2.value);
    const noFrom = { ...v2, entries: v2.entries.map(({ from: _from, ...e }) => e) };
    expect(codeOf(() => decodeHistoryIndex(encodeCanonical(noFrom as never)))).toBe('CODEC_SCHEMA');
    const v1WithFrom = { ...v2, v: 1 };
    expect(codeOf(() => decodeHistoryIndex(encodeCanonical(v1WithFrom as never)))).toBe('CODEC_SCHEMA');
    expect(codeOf(() => decodeHistoryIndex(encodeCanonical({ v: 3, entries: [] })))).toBe(
      'CODEC_UNKNOWN_VERSION',
    );
  });

  it('refuse other versions, extra fields, bad ids and oversize input', () => {
    const t = {
      v: 1,
      conversation: 'c',
      topic: '',
      kind: 'direct',
      members: [],
      closedAt: null,
      messages: [],
    };
    expect(codeOf(() => TranscriptFormat.decode(encodeCanonical({ ...t, v: 2 })))).toBe(
      'CODEC_UNKNOWN_VERSION',
    );
    expect(codeOf(() => TranscriptFormat.decode(encodeCanonical({ ...t, extra: 1 })))).toBe('CODEC_SCHEMA');
    expect(codeOf(() => TranscriptFormat.decode(encodeCanonical({ ...t, kind: 'other' })))).toBe(
      'CODEC_SCHEMA',
    );
    const badId = { ...t, messages: [{ id: 'XYZ', from: 'a', device: 'd', sentAt: 0, text: '' }] };
    expect(codeOf(() => TranscriptFormat.decode(encodeCanonical(badId)))).toBe('CODEC_SCHEMA');
    expect(
      codeOf(() =>
        ActiveListFormat.decode(
          encodeCanonical({
            v: 1,
            entries: [{ topic: new Uint8Array(31), blob: new Uint8Array(32), updatedAt: 0 }],
          }),
        ),
      ),
    ).toBe('CODEC_SCHEMA');
    expect(
      codeOf(() =>
        HistoryIndexFormat.decode(
          encodeCanonical({
            v: 1,
            entries: [{ topic: new Uint8Array(32), blob: new Uint8Array(32), closedAt: -1, messages: 0 }],
          }),
        ),
      ),
    ).toBe('CODEC_SCHEMA');
    const huge = {
      ...t,
      messages: Array.from({ length: 5 }, (_, i) => ({
        id: `0${i}`,
        from: 'a',
        device: 'd',
        sentAt: 0,
        text: 'x'.repeat(1024 * 1024),
      })),
    };
    expect(codeOf(() => TranscriptFormat.encode(huge as never))).toBe('CODEC_OVERSIZE');
  });

  it('friend bundle fixture v1 decodes to its value and re-encodes to the same bytes', () => {
    const f = bundleFixture.v1;
    const value = {
      v: 1,
      list: fromHexJson(f.value.list),
      friends: f.value.friends.map((x) => ({
        user: x.user,
        log: x.log.map(fromHexJson),
        addresses: x.addresses.map(fromHexJson),
      })),
    };
    const bytes = fromHexJson(f.cbor);
    expect(FriendBundleFormat.decode(bytes)).toEqual(value);
    expect(FriendBundleFormat.encode(FriendBundleFormat.decode(bytes))).toEqual(bytes);
  });
});
