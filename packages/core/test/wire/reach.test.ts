import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../../src/codec.ts';
import { _internal } from '../../src/ids.ts';
import { decodeMessage } from '../../src/wire/message.ts';
import { REACH_MAX_DISTANCE, REACH_MAX_ROUTES, ReachMessage } from '../../src/wire/reach.ts';
import { codeOf } from '../helpers/code-of.ts';

const ALPHABET = _internal.ALPHABET;
const group = (raw: string) => raw.match(/.{5}/g)!.join('-');
const deviceId = fc
  .array(fc.constantFrom(...ALPHABET), { minLength: 25, maxLength: 25 })
  .map((cs) => group(cs.join('')));
/** The i-th of many distinct, well-formed device ids. */
const nthId = (i: number) =>
  group([...i.toString(32).padStart(25, '0')].map((c) => ALPHABET[Number.parseInt(c, 32)]).join(''));

const message = fc.record({
  v: fc.constant(1),
  t: fc.constant('reach' as const),
  seq: fc.nat(),
  routes: fc.dictionary(deviceId, fc.integer({ min: 1, max: REACH_MAX_DISTANCE - 1 }), { maxKeys: 40 }),
});

const reach = (routes: Record<string, number>, extra: Record<string, unknown> = {}) =>
  encodeCanonical({ v: 1, t: 'reach', seq: 7, routes, ...extra });

describe('reach message', () => {
  it('round-trips through its encoder, its decoder and the dispatcher', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = ReachMessage.encode(m);
        expect(ReachMessage.decode(bytes)).toEqual(m);
        expect(decodeMessage(bytes, [ReachMessage])).toEqual(m);
      }),
      { numRuns: 300 },
    );
  });

  it('a full message (REACH_MAX_ROUTES devices) fits its size limit; one device more is refused', () => {
    const routes: Record<string, number> = {};
    for (let i = 0; i < REACH_MAX_ROUTES; i++) routes[nthId(i)] = 2;
    expect(Object.keys(routes)).toHaveLength(REACH_MAX_ROUTES);
    const bytes = ReachMessage.encode({ v: 1, t: 'reach', seq: Number.MAX_SAFE_INTEGER, routes });
    expect(bytes.length).toBeLessThanOrEqual(ReachMessage.maxBytes);
    routes[nthId(REACH_MAX_ROUTES)] = 1;
    expect(codeOf(() => decodeMessage(reach(routes), [ReachMessage]))).toBe('CODEC_SCHEMA');
  });

  it('refuses oversize, out-of-range distances, malformed device ids, extra fields and other versions', () => {
    const id = nthId(0xfedcba9876543);
    expect(id).toMatch(/[a-z]/);
    const big: Record<string, number> = {};
    for (let i = 0; i < 2200; i++) big[nthId(i)] = 1;
    expect(codeOf(() => decodeMessage(reach(big), [ReachMessage]))).toBe('CODEC_OVERSIZE');
    for (const distance of [0, REACH_MAX_DISTANCE, 1.5, -1]) {
      expect(codeOf(() => decodeMessage(reach({ [id]: distance }), [ReachMessage]))).toBe('CODEC_SCHEMA');
    }
    for (const bad of [
      id.toUpperCase(),
      id.replaceAll('-', ''),
      `${id}-0`,
      'x',
      '__proto__',
      id.replace(/^./, 'u'),
    ]) {
      expect(codeOf(() => decodeMessage(reach({ [bad]: 1 }), [ReachMessage]))).toBe('CODEC_SCHEMA');
    }
    expect(codeOf(() => decodeMessage(reach({}, { seq: -1 }), [ReachMessage]))).toBe('CODEC_SCHEMA');
    expect(codeOf(() => decodeMessage(reach({}, { hops: 1 }), [ReachMessage]))).toBe('CODEC_SCHEMA');
    expect(codeOf(() => decodeMessage(reach({}, { v: 2 }), [ReachMessage]))).toBe('CODEC_UNKNOWN_VERSION');
    expect(codeOf(() => ReachMessage.encode({ v: 1, t: 'reach', seq: 0, routes: { [id]: 3 } }))).toBe(
      'CODEC_SCHEMA',
    );
  });

  it('a device listed twice is refused by the canonical decoder', () => {
    const a = nthId(1);
    const b = nthId(2);
    const bytes = reach({ [a]: 1, [b]: 2 });
    // Same length, one character apart: overwrite the second key with the first.
    const text = new TextEncoder();
    const at = Buffer.from(bytes).indexOf(Buffer.from(text.encode(b)));
    expect(at).toBeGreaterThan(0);
    const twice = new Uint8Array(bytes);
    twice.set(text.encode(a), at);
    expect(codeOf(() => decodeMessage(twice, [ReachMessage]))).toMatch(/^CODEC_/);
    expect(codeOf(() => decodeMessage(bytes, [ReachMessage]))).toBeUndefined();
  });
});
