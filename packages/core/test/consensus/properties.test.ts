/** Property tests (fast-check) of the tally and the methods. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/consensus/decide.ts';
import { tally } from '../../src/consensus/tally.ts';
import type { Ballot, CastBallot, TallyInput } from '../../src/consensus/types.ts';

const RUNS = { numRuns: 150 };

const optionIds = (n: number) => Array.from({ length: n }, (_, i) => `o${i}`);
const memberIds = (n: number) => Array.from({ length: n }, (_, i) => `m${String(i).padStart(2, '0')}`);

function ballotArb(options: string[]): fc.Arbitrary<Ballot> {
  const opt = fc.constantFrom(...options);
  return fc.oneof(
    fc.constantFrom<Ballot>(
      { kind: 'yes-no', vote: 'yes' },
      { kind: 'yes-no', vote: 'no' },
      { kind: 'yes-no', vote: 'abstain' },
      { kind: 'ack' },
      { kind: 'objection', reason: 'no' },
      { kind: 'block', reason: 'never' },
      { kind: 'rsvp', answer: 'yes' },
      { kind: 'rsvp', answer: 'maybe' },
      { kind: 'apache', vote: 1, binding: true },
      { kind: 'apache', vote: -1, binding: false },
    ),
    opt.map((option): Ballot => ({ kind: 'choice', option })),
    fc.subarray(options).map((o): Ballot => ({ kind: 'approval', options: o })),
    fc.shuffledSubarray(options).map((ranking): Ballot => ({ kind: 'ranking', ranking })),
    fc.dictionary(opt, fc.integer({ min: 0, max: 5 })).map((scores): Ballot => ({ kind: 'score', scores })),
    fc
      .dictionary(opt, fc.integer({ min: 0, max: 2 }), { maxKeys: 2 })
      .map((dots): Ballot => ({ kind: 'dots', dots })),
  );
}

/** Ballots of one kind only, so that methods of that kind see many relevant cases. */
function kindArb(kind: Ballot['kind'], options: string[]): fc.Arbitrary<Ballot> {
  return ballotArb(options).filter((b) =>
    kind === 'ack' ? ['ack', 'objection', 'block'].includes(b.kind) : b.kind === kind,
  );
}

/** An election: options, members, and one ballot (of any kind) for some members. */
const electionArb = fc
  .record({ nOptions: fc.integer({ min: 1, max: 5 }), nMembers: fc.integer({ min: 1, max: 9 }) })
  .chain(({ nOptions, nMembers }) => {
    const options = optionIds(nOptions);
    const members = memberIds(nMembers);
    return fc.record({
      options: fc.constant(options),
      members: fc.constant(members),
      ballots: fc
        .array(fc.option(ballotArb(options), { nil: null }), { minLength: nMembers, maxLength: nMembers })
        .map((bs) => bs.flatMap((b, i): CastBallot[] => (b ? [{ voter: members[i]!, ballot: b }] : []))),
      now: fc.integer({ min: 0, max: 10 }),
      deadline: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
    });
  });

/** A ranked election where every member casts a (possibly partial) ranking. */
const rankedArb = fc.integer({ min: 2, max: 5 }).chain((n) => {
  const options = optionIds(n);
  return fc
    .array(fc.shuffledSubarray(options, { minLength: 1 }), { minLength: 1, maxLength: 25 })
    .map((rs) => {
      const members = memberIds(rs.length);
      const ballots = rs.map(
        (ranking, i): CastBallot => ({ voter: members[i]!, ballot: { kind: 'ranking', ranking } }),
      );
      return { options, members, ballots, now: 0, deadline: null } satisfies TallyInput;
    });
});

const SPECS = [
  { method: 'unanimity' },
  { method: 'majority' },
  { method: 'absolute-majority' },
  { method: 'supermajority', params: { numerator: 2, denominator: 3 } },
  { method: 'quorum-majority', params: { quorum: 2 } },
  { method: 'consent' },
  { method: 'lazy-consensus' },
  { method: 'plurality' },
  { method: 'approval' },
  { method: 'score', params: { min: 0, max: 5 } },
  { method: 'dot-vote', params: { budget: 4 } },
  { method: 'irv' },
  { method: 'schulze' },
  { method: 'borda' },
  { method: 'rsvp-threshold', params: { min: 2 } },
  { method: 'all-acknowledged' },
  { method: 'apache-release', params: { minBindingPlus: 1 } },
  {
    method: 'cel',
    params: { done: 'remaining * 2 < eligible', passed: 'yes > no', accepts: ['yes-no', 'ack'] },
  },
];

describe('properties', () => {
  it('the tally is deterministic and JSON-stable', () => {
    fc.assert(
      fc.property(electionArb, (inp) => {
        const json = JSON.stringify(tally(inp));
        expect(JSON.stringify(tally(structuredClone(inp)))).toBe(json);
        expect(JSON.stringify(JSON.parse(json))).toBe(json);
      }),
      RUNS,
    );
  });

  it('permuting voters (and the member list) never changes any outcome', () => {
    fc.assert(
      fc.property(
        electionArb.chain((inp) =>
          fc.record({
            inp: fc.constant(inp),
            ballots: fc.shuffledSubarray(inp.ballots, { minLength: inp.ballots.length }),
            members: fc.shuffledSubarray(inp.members, { minLength: inp.members.length }),
          }),
        ),
        ({ inp, ballots, members }) => {
          const permuted = { ...inp, ballots, members };
          for (const spec of SPECS) {
            expect(decide(spec, permuted).outcome).toEqual(decide(spec, inp).outcome);
          }
          const { ignored: _a, ...a } = tally(inp);
          const { ignored: _b, ...b } = tally(permuted);
          // Only who is first on an RSVP list depends on order (first come, first served).
          expect({ ...b, rsvp: { ...b.rsvp, confirmed: [], waitlist: [] } }).toEqual({
            ...a,
            rsvp: { ...a.rsvp, confirmed: [], waitlist: [] },
          });
        },
      ),
      RUNS,
    );
  });

  it('relabelling options relabels the winner (order-preserving relabelling keeps tie-breaks)', () => {
    fc.assert(
      fc.property(
        electionArb.chain((inp) =>
          fc.record({
            inp: fc.constant(inp),
            labels: fc.uniqueArray(fc.stringMatching(/^[a-zA-Z0-9]{1,8}$/), {
              minLength: inp.options.length,
              maxLength: inp.options.length,
            }),
          }),
        ),
        ({ inp, labels }) => {
          const sorted = [...labels].sort();
          const rename = new Map(inp.options.map((o, i) => [o, sorted[i]!])); // o0 < o1 < ... too
          const r = (o: string) => rename.get(o)!;
          const relabelBallot = (b: Ballot): Ballot => {
            switch (b.kind) {
              case 'choice':
                return { kind: 'choice', option: r(b.option) };
              case 'approval':
                return { kind: 'approval', options: b.options.map(r) };
              case 'ranking':
                return { kind: 'ranking', ranking: b.ranking.map(r) };
              case 'score':
                return {
                  kind: 'score',
                  scores: Object.fromEntries(Object.entries(b.scores).map(([o, v]) => [r(o), v])),
                };
              case 'dots':
                return {
                  kind: 'dots',
                  dots: Object.fromEntries(Object.entries(b.dots).map(([o, v]) => [r(o), v])),
                };
              default:
                return b;
            }
          };
          const relabelled = {
            ...inp,
            options: [...inp.options].reverse().map(r),
            ballots: inp.ballots.map((c) => ({ voter: c.voter, ballot: relabelBallot(c.ballot) })),
          };
          for (const method of ['plurality', 'approval', 'score', 'dot-vote', 'irv', 'schulze', 'borda']) {
            const spec = { method, params: method === 'dot-vote' ? { budget: 4 } : {} };
            const before = decide(spec, inp).outcome;
            const after = decide(spec, relabelled).outcome;
            const w = before.result.winner;
            expect(after).toEqual({
              ...before,
              result: { ...before.result, winner: w === null ? null : r(w!) },
            });
          }
        },
      ),
      RUNS,
    );
  });

  it('Schulze elects the Condorcet winner whenever there is one', () => {
    let seen = 0;
    fc.assert(
      fc.property(rankedArb, (inp) => {
        const t = tally(inp);
        if (t.winners.condorcet !== null) {
          seen++;
          expect(t.schulze.winners).toEqual([t.winners.condorcet]);
        }
        // The Condorcet winner, when it exists, beats every other option head to head.
        const c = t.winners.condorcet;
        if (c !== null)
          for (const o of t.options)
            if (o !== c) expect(t.pairwise[c]![o]!).toBeGreaterThan(t.pairwise[o]![c]!);
      }),
      { numRuns: 300 },
    );
    expect(seen).toBeGreaterThan(0);
  });

  it('an early decision is final: whatever the missing voters cast, the outcome stays', () => {
    const early: { method: string; params?: unknown; kind: Ballot['kind'] }[] = [
      { method: 'unanimity', kind: 'yes-no' },
      { method: 'unanimity', params: { of: 'cast' }, kind: 'yes-no' },
      { method: 'majority', kind: 'yes-no' },
      { method: 'absolute-majority', kind: 'yes-no' },
      { method: 'supermajority', params: { numerator: 2, denominator: 3 }, kind: 'yes-no' },
      { method: 'supermajority', params: { numerator: 3, denominator: 4, of: 'eligible' }, kind: 'yes-no' },
      { method: 'quorum-majority', params: { quorum: 3 }, kind: 'yes-no' },
      { method: 'plurality', kind: 'choice' },
      { method: 'approval', kind: 'approval' },
      { method: 'score', params: { min: 0, max: 5 }, kind: 'score' },
      { method: 'dot-vote', params: { budget: 4 }, kind: 'dots' },
      { method: 'rsvp-threshold', params: { min: 2, capacity: 3 }, kind: 'rsvp' },
      { method: 'consent', kind: 'ack' },
      { method: 'lazy-consensus', kind: 'ack' },
      { method: 'all-acknowledged', kind: 'ack' },
    ];
    let decidedCases = 0;
    /** Uniform completions: every missing voter casts the same extreme ballot. */
    const extremes = (kind: Ballot['kind'], options: string[]): Ballot[] => {
      switch (kind) {
        case 'yes-no':
          return (['yes', 'no', 'abstain'] as const).map((vote) => ({ kind, vote }));
        case 'choice':
          return options.map((option) => ({ kind, option }));
        case 'approval':
          return [...options.map((o) => ({ kind, options: [o] })), { kind, options }];
        case 'score':
          return options.map((o) => ({
            kind,
            scores: Object.fromEntries(options.map((x) => [x, x === o ? 5 : 0])),
          }));
        case 'dots':
          return options.map((o) => ({ kind, dots: { [o]: 4 } }));
        case 'rsvp':
          return (['yes', 'no', 'maybe'] as const).map((answer) => ({ kind, answer }));
        default:
          return [{ kind: 'ack' }, { kind: 'objection', reason: 'r' }, { kind: 'block', reason: 'r' }];
      }
    };
    const electionFor = (kind: Ballot['kind']) =>
      fc
        .record({ nOptions: fc.integer({ min: 1, max: 4 }), nMembers: fc.integer({ min: 1, max: 8 }) })
        .chain(({ nOptions, nMembers }) => {
          const options = optionIds(nOptions);
          const members = memberIds(nMembers);
          const ballots = fc.array(fc.option(kindArb(kind, options), { nil: null, freq: 2 }), {
            minLength: nMembers,
            maxLength: nMembers,
          });
          return fc.record({
            inp: ballots.map((bs) => ({
              options,
              members,
              ballots: bs.flatMap((b, i): CastBallot[] => (b ? [{ voter: members[i]!, ballot: b }] : [])),
              now: 0,
              deadline: null,
            })),
            random: fc.array(kindArb(kind, options), { minLength: nMembers, maxLength: nMembers }),
          });
        });
    fc.assert(
      fc.property(
        fc
          .constantFrom(...early)
          .chain((spec) => fc.record({ spec: fc.constant(spec), e: electionFor(spec.kind) })),
        ({ spec: { method, params, kind }, e: { inp, random } }) => {
          const base: TallyInput = inp;
          const now = decide({ method, params }, base);
          if (now.outcome.result.reason !== 'decided') return;
          decidedCases++;
          // Missing: members whose current ballot this method does not count.
          const accepts = kind === 'ack' ? ['ack', 'objection', 'block'] : [kind];
          const missing = inp.members.filter((m) => !accepts.includes(now.tally.ballots[m]?.kind ?? ''));
          expect(missing.length).toBeGreaterThan(0);
          const completions = [
            missing.map((m) => random[inp.members.indexOf(m)]!),
            ...extremes(kind, inp.options).map((b) => missing.map(() => b)),
          ];
          for (const extra of completions) {
            const completed = {
              ...base,
              ballots: [...inp.ballots, ...missing.map((m, i) => ({ voter: m, ballot: extra[i]! }))],
            };
            const later = decide({ method, params }, completed).outcome;
            expect([method, later.result.passed, later.result.winner]).toEqual([
              method,
              now.outcome.result.passed,
              now.outcome.result.winner,
            ]);
          }
        },
      ),
      { numRuns: 1000 },
    );
    expect(decidedCases).toBeGreaterThan(50);
  });
});
