import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/index.ts';
import {
  calculateGenerator,
  cpaceIsk,
  cpaceShare,
  generatorString,
  lvCat,
  prependLen,
  sampleScalar,
  scalarMultVfy,
} from '../../src/pairing/cpace.ts';

const v = JSON.parse(readFileSync(new URL('../vectors/cpace-ristretto255.json', import.meta.url), 'utf8'));
const h = (s: string) => fromHex(s);

describe('CPace ristretto255/SHA-512 against draft-irtf-cfrg-cpace-21 Appendix B.3', () => {
  const inputs = { prs: h(v.PRS), ci: h(v.CI), sid: h(v.sid) };

  it('builds the generator string and the generator', () => {
    expect(toHex(generatorString(inputs.prs, inputs.ci, inputs.sid))).toBe(v.generator_string);
    expect(toHex(calculateGenerator(inputs.prs, inputs.ci, inputs.sid).toBytes())).toBe(v.g);
  });

  it('computes both shares, the shared point and the initiator-responder ISK', () => {
    const ya = cpaceShare(inputs, h(v.ya));
    const yb = cpaceShare(inputs, h(v.yb));
    expect(toHex(ya)).toBe(v.Ya);
    expect(toHex(yb)).toBe(v.Yb);
    expect(toHex(scalarMultVfy(h(v.ya), yb)!)).toBe(v.K);
    expect(toHex(scalarMultVfy(h(v.yb), ya)!)).toBe(v.K);
    const transcript = { ya, ada: h(v.ADa), yb, adb: h(v.ADb) };
    expect(toHex(cpaceIsk(inputs, { scalar: h(v.ya) }, yb, transcript))).toBe(v.ISK_IR);
    expect(toHex(cpaceIsk(inputs, { scalar: h(v.yb) }, ya, transcript))).toBe(v.ISK_IR);
  });

  it('scalar_mult_vfy: the valid case, and G.I for a non-decoding share and the identity', () => {
    const c = v.scalar_mult_valid;
    expect(toHex(scalarMultVfy(h(c.s), h(c.X))!)).toBe(c.result);
    const bad = v.scalar_mult_vfy_invalid;
    expect(scalarMultVfy(h(bad.s), h(bad.Y_i1))).toBeUndefined();
    expect(scalarMultVfy(h(bad.s), h(bad.Y_i2))).toBeUndefined();
    const transcript = { ya: h(v.Ya), ada: new Uint8Array(0), yb: h(bad.Y_i2), adb: new Uint8Array(0) };
    expect(() => cpaceIsk(inputs, { scalar: h(v.ya) }, h(bad.Y_i2), transcript)).toThrow(
      expect.objectContaining({ code: 'PAIRING_FAILED' }),
    );
  });

  it('prepend_len uses LEB128 (draft A.1.2)', () => {
    expect(toHex(prependLen(new Uint8Array(0)))).toBe('00');
    expect(toHex(prependLen(new Uint8Array(127))).slice(0, 2)).toBe('7f');
    expect(toHex(prependLen(new Uint8Array(128))).slice(0, 4)).toBe('8001');
    expect(toHex(lvCat(new Uint8Array([1]), new Uint8Array(0)))).toBe('010100');
  });

  it('two runs agree only when the passwords match (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ maxLength: 40 }), (pa, pb) => {
        const sid = randomBytes(16);
        const ci = new Uint8Array(0);
        const a = sampleScalar(randomBytes);
        const b = sampleScalar(randomBytes);
        const enc = new TextEncoder();
        const ya = cpaceShare({ prs: enc.encode(pa), ci, sid }, a);
        const yb = cpaceShare({ prs: enc.encode(pb), ci, sid }, b);
        const t = { ya, ada: new Uint8Array(0), yb, adb: new Uint8Array(0) };
        const iskA = toHex(cpaceIsk({ sid }, { scalar: a }, yb, t));
        const iskB = toHex(cpaceIsk({ sid }, { scalar: b }, ya, t));
        expect(iskA === iskB).toBe(pa === pb);
      }),
      { numRuns: 30 },
    );
  });
});
