/**
 * The fuzzing harness (docs/SECURITY.md "Fuzzing"). A decoder passes a case when it returns a
 * value or throws a KithError whose code is in the catalogue; anything else (a TypeError, a
 * RangeError, an allocation failure, a stack overflow) fails the property. A hang fails by the
 * test's timeout.
 *
 * Short mode (the default, in the unit tier): `runs(n)` cases per decoder. Long mode:
 * `KITH_FUZZ_RUNS=1000000 npx vitest run --project unit fuzz` runs that many per decoder;
 * KITH_FUZZ_SECONDS caps each property's time (the count reached is reported, not a failure).
 * `fuzzAssert` runs a property and, in long mode or with KITH_FUZZ_REPORT, records one JSON line
 * per property (cases, seconds, failures) so figures come from output, never by hand.
 */
import { appendFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import fc from 'fast-check';
import { expect } from 'vitest';
import { encodeCanonical, type CanonicalValue } from '../../src/codec.ts';
import { ERROR_CATALOGUE, KithError } from '../../src/errors.ts';

const LONG = Number(process.env.KITH_FUZZ_RUNS ?? 0);

/** Cases for one decoder: `short` by default, KITH_FUZZ_RUNS in long mode. */
export function runs(short: number): number {
  return Number.isSafeInteger(LONG) && LONG > 0 ? LONG : short;
}

/** Vitest timeout for a fuzz test: generous in long mode, where a run takes minutes. */
export const FUZZ_TIMEOUT = LONG > 0 ? 24 * 3600_000 : 60_000;

/** Seconds per property in long mode (KITH_FUZZ_SECONDS): past them the run stops, reporting its count. */
const SECONDS = Number(process.env.KITH_FUZZ_SECONDS ?? 0);

/** fast-check parameters: a printed seed (replay with KITH_FUZZ_SEED) and the case count. */
export function params(short: number): fc.Parameters<unknown> {
  const seed = process.env.KITH_FUZZ_SEED ? Number(process.env.KITH_FUZZ_SEED) : undefined;
  const budget =
    LONG > 0 && Number.isFinite(SECONDS) && SECONDS > 0
      ? { interruptAfterTimeLimit: SECONDS * 1000, markInterruptAsFailure: false }
      : {};
  return { numRuns: runs(short), ...budget, ...(seed !== undefined ? { seed } : {}) };
}

/**
 * Parameters of an end-to-end property that keeps its short count in long mode too (a real
 * link or a running node per case): its decoding path has a long-mode property of its own.
 */
export function shortParams(short: number): fc.Parameters<unknown> {
  return { ...params(short), numRuns: short };
}

/** One property's figures, as scripts/fuzz.mjs collects them (docs/SECURITY.md "Fuzzing"). */
export interface FuzzFigures {
  property: string;
  cases: number;
  asked: number;
  seconds: number;
  failures: number;
  interrupted: boolean;
  seed: number;
  load: number;
}

function record(figures: FuzzFigures): void {
  const line = JSON.stringify(figures);
  if (process.env.KITH_FUZZ_REPORT) appendFileSync(process.env.KITH_FUZZ_REPORT, `${line}\n`);
  if (LONG > 0) console.log(`KITH_FUZZ ${line}`);
}

/**
 * fc.assert with figures: runs the property, records cases, seconds and failures (0 or 1:
 * fast-check stops at the first failing case and shrinks it), then throws fast-check's own
 * report of a failure, seed and shrunk case included.
 */
export function fuzzAssert<Ts>(property: fc.IProperty<Ts>, parameters: fc.Parameters<unknown>): void;
export function fuzzAssert<Ts>(
  property: fc.IAsyncProperty<Ts>,
  parameters: fc.Parameters<unknown>,
): Promise<void>;
export function fuzzAssert<Ts>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  parameters: fc.Parameters<unknown>,
): void | Promise<void> {
  const name = expect.getState().currentTestName ?? 'unnamed property';
  const start = performance.now();
  const finish = (d: fc.RunDetails<Ts>) => {
    record({
      property: name,
      cases: d.numRuns,
      asked: parameters.numRuns ?? 0,
      seconds: Math.round((performance.now() - start) / 100) / 10,
      failures: d.failed ? 1 : 0,
      interrupted: d.interrupted,
      seed: d.seed,
      load: Math.round(loadavg()[0]! * 100) / 100,
    });
    if (d.failed) throw new Error(fc.defaultReportMessage(d), { cause: d.errorInstance });
  };
  const details = fc.check(property as fc.IRawProperty<Ts>, parameters as fc.Parameters<Ts>);
  return details instanceof Promise ? details.then(finish) : finish(details);
}

/** Runs `decode` on one input: a value or a catalogued KithError passes; anything else throws. */
export function decodesOrRefuses<T>(decode: (input: T) => unknown, input: T): void {
  try {
    decode(input);
  } catch (e) {
    if (e instanceof KithError && Object.hasOwn(ERROR_CATALOGUE, e.code)) return;
    throw e;
  }
}

/** For async decoders: a catalogued KithError passes (returns); anything else is thrown again. */
export function rethrowUnlessCatalogued(e: unknown): void {
  if (e instanceof KithError && Object.hasOwn(ERROR_CATALOGUE, e.code)) return;
  throw e;
}

/** Like decodesOrRefuses for a decoder that must refuse with one of `codes`. */
export function refusedWith(f: () => unknown, codes: readonly string[]): void {
  let code: string | undefined;
  try {
    f();
  } catch (e) {
    if (!(e instanceof KithError)) throw e;
    code = e.code;
  }
  expect(codes).toContain(code);
}

/** Deterministic "random" bytes (a linear congruential generator), so a printed seed replays a case. */
export function deterministicBytes(start: number): (size: number) => Uint8Array {
  let n = start;
  return (size) =>
    Uint8Array.from({ length: size }, () => {
      n = (n * 1103515245 + 12345) >>> 0;
      return n & 0xff;
    });
}

/** Any bytes, mostly short. */
export const rawBytes = (maxLength = 1024) => fc.uint8Array({ maxLength });

/**
 * Structure-aware: mutations of valid encodings. Bit flips, byte overwrites, truncation,
 * insertions, deletions, duplicated spans, splices of two seeds, and CBOR length fields set
 * to huge values (a header claiming 4 GiB must not allocate it).
 */
export function mutationsOf(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  if (seeds.length === 0) throw new Error('mutationsOf needs at least one seed');
  const seed = fc.constantFrom(...seeds);
  const at = (b: Uint8Array, n: number) => (b.length === 0 ? 0 : n % b.length);
  const one: fc.Arbitrary<(b: Uint8Array) => Uint8Array> = fc.oneof(
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([i, bit]) => (b: Uint8Array) => {
      const out = Uint8Array.from(b); // a copy even for a Buffer (whose slice is a view)
      if (out.length) out[at(out, i)]! ^= 1 << bit;
      return out;
    }),
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, v]) => (b: Uint8Array) => {
      const out = Uint8Array.from(b); // a copy even for a Buffer (whose slice is a view)
      if (out.length) out[at(out, i)] = v;
      return out;
    }),
    fc.nat().map((n) => (b: Uint8Array) => b.slice(0, at(b, n))),
    fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([i, ins]) => (b: Uint8Array) => {
      const p = at(b, i);
      return Uint8Array.from([...b.subarray(0, p), ...ins, ...b.subarray(p)]);
    }),
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 32 })).map(([i, n]) => (b: Uint8Array) => {
      const p = at(b, i);
      return Uint8Array.from([...b.subarray(0, p), ...b.subarray(p + n)]);
    }),
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 64 })).map(([i, n]) => (b: Uint8Array) => {
      const p = at(b, i);
      return Uint8Array.from([...b.subarray(0, p + n), ...b.subarray(p)]);
    }),
    fc.tuple(seed, fc.nat(), fc.nat()).map(
      ([other, i, j]) =>
        (b: Uint8Array) =>
          Uint8Array.from([...b.subarray(0, at(b, i)), ...other.subarray(at(other, j))]),
    ),
    // A CBOR head (major type 2, 3, 4 or 5) whose argument is 4 or 8 bytes of 0xff.
    fc
      .tuple(fc.nat(), fc.constantFrom(0x5a, 0x5b, 0x7a, 0x7b, 0x9a, 0x9b, 0xba, 0xbb))
      .map(([i, head]) => (b: Uint8Array) => {
        const p = at(b, i);
        const width = (head & 0x1f) === 0x1a ? 4 : 8;
        return Uint8Array.from([
          ...b.subarray(0, p),
          head,
          ...new Uint8Array(width).fill(0xff),
          ...b.subarray(p + 1),
        ]);
      }),
  );
  return fc
    .tuple(seed, fc.array(one, { minLength: 1, maxLength: 4 }))
    .map(([s, ms]) => ms.reduce((b, m) => m(b), s));
}

/** Well-formed canonical CBOR of random shape: valid codec input, (mostly) wrong schema. */
export const canonicalValue: fc.Arbitrary<CanonicalValue> = fc.letrec<{ value: CanonicalValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.string({ maxLength: 40 }),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 6 }),
  ),
})).value;

/** Canonical maps that carry `v` and (for a wire message) `t`, with random other fields. */
export function canonicalMapsLike(fields: Record<string, CanonicalValue>): fc.Arbitrary<Uint8Array> {
  return fc
    .dictionary(fc.constantFrom('v', 't', 'sig', 'body', 'cert', 'seq', 'items', 'x'), canonicalValue, {
      maxKeys: 6,
    })
    .map((extra) => encodeCanonical({ ...extra, ...fields }));
}

/** Pure fuzz input: raw bytes, mutations of the seeds, well-formed CBOR of random shape. */
export function decoderInput(seeds: readonly Uint8Array[], fields: Record<string, CanonicalValue> = {}) {
  return fc.oneof(
    rawBytes(),
    mutationsOf(seeds),
    mutationsOf(seeds),
    canonicalValue.map((v) => encodeCanonical(v)),
    canonicalMapsLike(fields),
  );
}
