/**
 * Fuzzing of fragment reassembly (issue #17: "link frames and fragment reassembly",
 * docs/SECURITY.md "Fuzzing"): what an authenticated peer's transport messages decrypt to, in
 * any order and of any kind byte and size, fed to the reassembler a link uses. Each step is a
 * whole message no larger than the limit and equal to the fragments it closes, a kept fragment,
 * or a refusal (which closes the link: the case ends there); it never throws, and it never holds
 * more than the limit. Pure, so it runs a million cases in minutes, where the live-link suite
 * (services/agent/test/fuzz/link-frames.fuzz.test.ts) makes one real link per case.
 * Long mode: KITH_FUZZ_RUNS=1000000 npx vitest run --project unit frame-reassembly
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/crypto/index.ts';
import { FrameReassembler } from '../../src/noise/frame-reassembly.ts';
import { FRAME_KIND, fragmentMessage } from '../../src/noise/link-frame.ts';
import { fuzzAssert, FUZZ_TIMEOUT, params } from './harness.ts';

/** A small limit, so that cases reach it with small fragments. */
const LIMIT = 700;

const plaintext: fc.Arbitrary<Uint8Array> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.oneof(
          fc.constantFrom(FRAME_KIND.CONFIRM, FRAME_KIND.DATA, FRAME_KIND.MORE, FRAME_KIND.MORE),
          fc.nat(255),
        ),
        fc.uint8Array({ maxLength: 400 }),
      )
      .map(([kind, body]) => concatBytes(Uint8Array.of(kind), body)),
  },
  // Empty plaintexts and raw bytes (a kind byte followed by anything).
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
);

describe('fuzz: fragment reassembly', () => {
  it(
    'frame sequences give whole messages within the limit, kept fragments, or a refusal (FrameReassembler)',
    () => {
      fuzzAssert(
        fc.property(fc.array(plaintext, { maxLength: 12 }), (steps) => {
          const r = new FrameReassembler(LIMIT);
          let kept: Uint8Array[] = [];
          for (const p of steps) {
            const step = r.push(p);
            expect(r.heldBytes).toBeLessThanOrEqual(LIMIT);
            if ('refused' in step) {
              expect(['protocol-error', 'message-too-large']).toContain(step.refused);
              return;
            }
            if ('more' in step) {
              expect(p[0]).toBe(FRAME_KIND.MORE);
              expect(p.length).toBeGreaterThan(1);
              kept.push(p.subarray(1));
              continue;
            }
            expect(p[0]).toBe(FRAME_KIND.DATA);
            expect(step.message.length).toBeLessThanOrEqual(LIMIT);
            expect(step.message).toEqual(concatBytes(...kept, p.subarray(1)));
            kept = [];
          }
        }),
        params(3000),
      );
    },
    FUZZ_TIMEOUT,
  );

  it('control: what fragmentMessage sends comes back whole; one byte over the limit is refused', () => {
    const r = new FrameReassembler(200_000);
    const message = Uint8Array.from({ length: 150_000 }, (_, i) => i % 251);
    const steps = fragmentMessage(message).map((f) => r.push(f));
    expect(steps.at(-1)).toEqual({ message });
    const small = new FrameReassembler(10);
    expect(small.push(Uint8Array.of(FRAME_KIND.MORE, ...new Uint8Array(6)))).toEqual({ more: true });
    expect(small.push(Uint8Array.of(FRAME_KIND.DATA, ...new Uint8Array(5)))).toEqual({
      refused: 'message-too-large',
    });
  });
});
