/** Worked examples for every built-in method, including exactly when each one is done. */
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/consensus/decide.ts';
import type { Ballot, MethodOutcome } from '../../src/consensus/types.ts';
import { isKithError } from '../../src/errors.ts';
import { abstain, memberIds, no, rank, yes } from './helpers.ts';

const BEFORE = 1_000;
const DEADLINE = 2_000;
const AFTER = 3_000;

/** Runs a method with members m001..m00n casting the given ballots in order. */
function run(
  method: string,
  params: unknown,
  n: number,
  ballots: (Ballot | null)[],
  opts: { now?: number; deadline?: number | null; options?: string[] } = {},
): MethodOutcome {
  const members = memberIds(n);
  const cast = ballots.flatMap((b, i) => (b ? [{ voter: members[i]!, ballot: b }] : []));
  return decide(
    { method, params },
    {
      options: opts.options ?? [],
      members,
      ballots: cast,
      now: opts.now ?? BEFORE,
      deadline: opts.deadline === undefined ? DEADLINE : opts.deadline,
    },
  ).outcome;
}

const out = (done: boolean, passed: boolean, reason: string, winner?: string | null) => ({
  done,
  result: winner === undefined ? { passed, reason } : { passed, winner, reason },
});

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isKithError(e)) return e.code;
    throw e;
  }
  return 'accepted';
}

describe('unanimity', () => {
  it('of eligible: passes once everyone said yes, fails at the first no or abstention', () => {
    expect(run('unanimity', {}, 3, [yes, yes, yes])).toEqual(out(true, true, 'all-voted'));
    expect(run('unanimity', {}, 3, [yes, yes, null])).toEqual(out(false, false, 'pending'));
    expect(run('unanimity', {}, 3, [yes, no, null])).toEqual(out(true, false, 'decided'));
    expect(run('unanimity', {}, 3, [yes, abstain, null])).toEqual(out(true, false, 'decided'));
    expect(run('unanimity', {}, 3, [yes, yes, null], { now: AFTER })).toEqual(out(true, false, 'deadline'));
  });
  it('of cast: silence and abstention do not stop it, a no does', () => {
    const p = { of: 'cast' };
    expect(run('unanimity', p, 3, [yes, abstain, null], { now: AFTER })).toEqual(out(true, true, 'deadline'));
    expect(run('unanimity', p, 3, [yes, yes, null])).toEqual(out(false, true, 'pending'));
    expect(run('unanimity', p, 3, [yes, no, null])).toEqual(out(true, false, 'decided'));
    expect(run('unanimity', p, 3, [abstain, abstain, abstain])).toEqual(out(true, false, 'all-voted'));
  });
});

describe('majority (simple)', () => {
  it('is decided as soon as the missing voters cannot change the outcome', () => {
    expect(run('majority', {}, 5, [yes, yes, yes, null, null])).toEqual(out(true, true, 'decided'));
    expect(run('majority', {}, 5, [no, no, no, yes, null])).toEqual(out(true, false, 'decided'));
    expect(run('majority', {}, 5, [yes, yes, no, null, null])).toEqual(out(false, true, 'pending'));
  });
  it('counts votes cast at the deadline; a tie fails', () => {
    expect(run('majority', {}, 5, [yes, yes, no, null, null], { now: AFTER })).toEqual(
      out(true, true, 'deadline'),
    );
    expect(run('majority', {}, 5, [yes, yes, no, no, abstain])).toEqual(out(true, false, 'all-voted'));
  });
});

describe('absolute majority', () => {
  it('needs more than half of all eligible members', () => {
    expect(run('absolute-majority', {}, 5, [yes, yes, yes, null, null])).toEqual(out(true, true, 'decided'));
    // Two yes against one no would carry a simple majority, not an absolute one.
    expect(run('absolute-majority', {}, 5, [yes, yes, no, null, null], { now: AFTER })).toEqual(
      out(true, false, 'deadline'),
    );
    expect(run('absolute-majority', {}, 5, [no, no, no, null, null])).toEqual(out(true, false, 'decided'));
    expect(run('absolute-majority', {}, 4, [yes, yes, no, null])).toEqual(out(false, false, 'pending'));
  });
});

describe('supermajority', () => {
  const twoThirds = { numerator: 2, denominator: 3 };
  it('of votes cast: at least 2/3 of yes+no', () => {
    expect(run('supermajority', twoThirds, 6, [yes, yes, yes, yes, no, no])).toEqual(
      out(true, true, 'all-voted'),
    );
    expect(run('supermajority', twoThirds, 6, [yes, yes, yes, yes, yes, null])).toEqual(
      out(true, true, 'decided'),
    );
    expect(run('supermajority', twoThirds, 6, [yes, yes, yes, no, no, null])).toEqual(
      out(false, false, 'pending'),
    );
    expect(run('supermajority', twoThirds, 6, [yes, yes, yes, no, no, null], { now: AFTER })).toEqual(
      out(true, false, 'deadline'),
    );
    expect(run('supermajority', twoThirds, 6, [no, no, no, null, null, null])).toEqual(
      out(true, false, 'decided'),
    );
  });
  it('of eligible members', () => {
    const p = { ...twoThirds, of: 'eligible' };
    expect(run('supermajority', p, 6, [yes, yes, yes, yes, null, null])).toEqual(out(true, true, 'decided'));
    expect(run('supermajority', p, 6, [yes, yes, no, abstain, abstain, null])).toEqual(
      out(true, false, 'decided'),
    );
  });
  it('refuses fractions that are not a supermajority', () => {
    const prep = (params: unknown) => refusal(() => run('supermajority', params, 1, []));
    expect(prep({ numerator: 1, denominator: 2 })).toBe('CONSENSUS_BAD_PARAMS');
    expect(prep({ numerator: 3, denominator: 2 })).toBe('CONSENSUS_BAD_PARAMS');
    expect(prep({})).toBe('CONSENSUS_BAD_PARAMS');
    expect(prep({ numerator: 2, denominator: 3, extra: 1 })).toBe('CONSENSUS_BAD_PARAMS');
    expect(prep({ numerator: 2, denominator: 3, of: 'all' })).toBe('CONSENSUS_BAD_PARAMS');
  });
});

describe('quorum + majority', () => {
  it('needs the quorum to take part (abstentions count) and more yes than no', () => {
    const q3 = { quorum: 3 };
    expect(run('quorum-majority', q3, 5, [yes, yes, yes, null, null])).toEqual(out(true, true, 'decided'));
    expect(run('quorum-majority', q3, 5, [yes, yes, abstain, null, null])).toEqual(
      out(false, true, 'pending'),
    );
    expect(run('quorum-majority', q3, 5, [yes, abstain, null, null, null], { now: AFTER })).toEqual(
      out(true, false, 'deadline'),
    );
    expect(run('quorum-majority', q3, 5, [yes, no, abstain, null, null], { now: AFTER })).toEqual(
      out(true, false, 'deadline'),
    );
  });
  it('a fractional quorum rounds up; an unreachable quorum fails at once', () => {
    const half = { quorum: { numerator: 1, denominator: 2 } };
    expect(run('quorum-majority', half, 5, [yes, yes, null, null, null], { now: AFTER })).toEqual(
      out(true, false, 'deadline'),
    );
    expect(run('quorum-majority', half, 5, [yes, yes, abstain, null, null], { now: AFTER })).toEqual(
      out(true, true, 'deadline'),
    );
    expect(run('quorum-majority', { quorum: 6 }, 5, [yes])).toEqual(out(true, false, 'decided'));
    expect(refusal(() => run('quorum-majority', {}, 1, []))).toBe('CONSENSUS_BAD_PARAMS');
    expect(refusal(() => run('quorum-majority', { quorum: 0 }, 1, []))).toBe('CONSENSUS_BAD_PARAMS');
  });
});

const ack: Ballot = { kind: 'ack' };
const objection: Ballot = { kind: 'objection', reason: 'too expensive' };
const block: Ballot = { kind: 'block', reason: 'against our principles' };

describe('consent', () => {
  it('passes once everyone consented; silence at the deadline fails', () => {
    expect(run('consent', {}, 3, [ack, ack, ack])).toEqual(out(true, true, 'all-voted'));
    expect(run('consent', {}, 3, [ack, ack, null])).toEqual(out(false, false, 'pending'));
    expect(run('consent', {}, 3, [ack, ack, null], { now: AFTER })).toEqual(out(true, false, 'deadline'));
  });
  it('a standing objection keeps it open until withdrawn or the deadline', () => {
    expect(run('consent', {}, 3, [ack, ack, objection])).toEqual(out(false, false, 'pending'));
    expect(run('consent', {}, 3, [ack, ack, objection], { now: AFTER })).toEqual(
      out(true, false, 'deadline'),
    );
    const members = memberIds(3);
    const withdrawn = decide(
      { method: 'consent' },
      {
        options: [],
        members,
        now: BEFORE,
        deadline: DEADLINE,
        ballots: [
          { voter: members[0]!, ballot: ack },
          { voter: members[1]!, ballot: objection },
          { voter: members[2]!, ballot: ack },
          { voter: members[1]!, ballot: ack },
        ],
      },
    );
    expect(withdrawn.outcome).toEqual(out(true, true, 'all-voted'));
  });
  it('blockOn "block": objections are stand-asides, blocks stop', () => {
    const p = { blockOn: 'block' };
    expect(run('consent', p, 3, [ack, objection, ack])).toEqual(out(true, true, 'all-voted'));
    expect(run('consent', p, 3, [ack, block, ack], { now: AFTER })).toEqual(out(true, false, 'deadline'));
    expect(refusal(() => run('consent', { blockOn: 'veto' }, 1, []))).toBe('CONSENSUS_BAD_PARAMS');
  });
});

describe('lazy consensus', () => {
  it('silence is consent at the deadline', () => {
    expect(run('lazy-consensus', {}, 3, [null, null, null])).toEqual(out(false, true, 'pending'));
    expect(run('lazy-consensus', {}, 3, [null, null, null], { now: AFTER })).toEqual(
      out(true, true, 'deadline'),
    );
    expect(run('lazy-consensus', {}, 3, [null, objection, null], { now: AFTER })).toEqual(
      out(true, false, 'deadline'),
    );
    expect(run('lazy-consensus', {}, 3, [block, null, null], { now: AFTER })).toEqual(
      out(true, false, 'deadline'),
    );
  });
  it('closes early only when everyone answered without objection; never without a deadline', () => {
    expect(run('lazy-consensus', {}, 3, [ack, ack, ack])).toEqual(out(true, true, 'all-voted'));
    expect(run('lazy-consensus', {}, 3, [ack, null, null], { now: AFTER, deadline: null })).toEqual(
      out(false, true, 'pending'),
    );
  });
});

const ABC = { options: ['A', 'B', 'C'] };
const choice = (option: string): Ballot => ({ kind: 'choice', option });
const approve = (...options: string[]): Ballot => ({ kind: 'approval', options });

describe('plurality', () => {
  it('decided when the lead exceeds the missing votes; ties by tie order', () => {
    expect(run('plurality', {}, 5, [choice('A'), choice('A'), choice('A'), null, null], ABC)).toEqual(
      out(true, true, 'decided', 'A'),
    );
    expect(run('plurality', {}, 5, [choice('A'), choice('A'), choice('B'), null, null], ABC)).toEqual(
      out(false, true, 'pending', 'A'),
    );
    expect(
      run('plurality', {}, 5, [choice('B'), choice('C'), choice('B'), choice('C'), choice('A')], ABC),
    ).toEqual(out(true, true, 'all-voted', 'B'));
    expect(run('plurality', {}, 5, [], { ...ABC, now: AFTER })).toEqual(out(true, false, 'deadline', null));
  });
});

describe('approval', () => {
  it('elects the most approved option', () => {
    expect(
      run('approval', {}, 4, [approve('A', 'B'), approve('B'), approve('B', 'C'), approve('A')], ABC),
    ).toEqual(out(true, true, 'all-voted', 'B'));
    expect(run('approval', {}, 4, [approve('B'), approve('B'), approve('B'), null], ABC)).toEqual(
      out(true, true, 'decided', 'B'),
    );
    expect(run('approval', {}, 4, [approve('B'), approve('A', 'B'), null, null], ABC)).toEqual(
      out(false, true, 'pending', 'B'),
    );
  });
});

describe('score', () => {
  const p = { min: 0, max: 5 };
  const sc = (scores: Record<string, number>): Ballot => ({ kind: 'score', scores });
  it('sums scores, a missing option scoring the minimum', () => {
    expect(run('score', p, 3, [sc({ A: 5, B: 0 }), sc({ A: 0, B: 5 }), sc({ B: 3 })], ABC)).toEqual(
      out(true, true, 'all-voted', 'B'),
    );
    // A leads by 10; the last voter can move the gap by at most 5.
    expect(run('score', p, 3, [sc({ A: 5 }), sc({ A: 5 }), null], ABC)).toEqual(
      out(true, true, 'decided', 'A'),
    );
    expect(run('score', p, 3, [sc({ A: 5 }), null, null], ABC)).toEqual(out(false, true, 'pending', 'A'));
  });
  it('ignores an out-of-range ballot and refuses a bad range', () => {
    expect(run('score', p, 2, [sc({ A: 6 }), sc({ B: 1 })], { ...ABC, now: AFTER })).toEqual(
      out(true, true, 'deadline', 'B'),
    );
    expect(refusal(() => run('score', { min: 5, max: 5 }, 1, []))).toBe('CONSENSUS_BAD_PARAMS');
  });
});

describe('dot vote', () => {
  const dots = (d: Record<string, number>): Ballot => ({ kind: 'dots', dots: d });
  it('sums dots within the budget', () => {
    expect(
      run('dot-vote', { budget: 3 }, 3, [dots({ A: 3 }), dots({ B: 2, A: 1 }), dots({ B: 3 })], ABC),
    ).toEqual(out(true, true, 'all-voted', 'B'));
    // An over-budget ballot is not counted.
    expect(
      run('dot-vote', { budget: 3 }, 2, [dots({ A: 4 }), dots({ C: 1 })], { ...ABC, now: AFTER }),
    ).toEqual(out(true, true, 'deadline', 'C'));
    expect(run('dot-vote', { budget: 3 }, 3, [dots({ A: 3 }), dots({ A: 3 }), null], ABC)).toEqual(
      out(true, true, 'decided', 'A'),
    );
    expect(refusal(() => run('dot-vote', { budget: 0 }, 1, []))).toBe('CONSENSUS_BAD_PARAMS');
  });
});

describe('IRV with partial rankings', () => {
  it('eliminates the later option in the tie order and transfers votes', () => {
    const r = run(
      'irv',
      {},
      7,
      [rank('A'), rank('A'), rank('A'), rank('B'), rank('B'), rank('C', 'B'), rank('C', 'B')],
      ABC,
    );
    expect(r).toEqual(out(true, true, 'all-voted', 'B'));
  });
  it('exhausted ballots leave the majority of the rest deciding', () => {
    const members = memberIds(7);
    const ballots = [rank('A'), rank('A'), rank('A'), rank('B'), rank('B'), rank('C'), rank('C')].map(
      (b, i) => ({
        voter: members[i]!,
        ballot: b,
      }),
    );
    const { tally, outcome } = decide(
      { method: 'irv' },
      { ...ABC, members, ballots, now: 0, deadline: null },
    );
    expect(tally.irv.rounds).toEqual([
      { counts: { A: 3, B: 2, C: 2 }, exhausted: 0, eliminated: 'C' },
      { counts: { A: 3, B: 2 }, exhausted: 2, eliminated: null },
    ]);
    expect(outcome.result.winner).toBe('A');
  });
  it('ranked methods wait for everyone or the deadline', () => {
    for (const method of ['irv', 'schulze', 'borda']) {
      expect(run(method, {}, 3, [rank('A', 'B'), rank('A'), null], ABC)).toEqual(
        out(false, true, 'pending', 'A'),
      );
      expect(run(method, {}, 3, [rank('A', 'B'), rank('A'), null], { ...ABC, now: AFTER })).toEqual(
        out(true, true, 'deadline', 'A'),
      );
      expect(run(method, {}, 3, [], { ...ABC, now: AFTER })).toEqual(out(true, false, 'deadline', null));
    }
  });
});

describe('Borda with a small example', () => {
  it('gives n-1-i points and 0 to unranked options', () => {
    const members = memberIds(3);
    const ballots = [rank('A', 'B', 'C'), rank('B', 'C'), rank('C')].map((b, i) => ({
      voter: members[i]!,
      ballot: b,
    }));
    const { tally, outcome } = decide(
      { method: 'borda' },
      { ...ABC, members, ballots, now: 0, deadline: null },
    );
    expect(tally.borda.scores).toEqual({ A: 2, B: 3, C: 2 + 1 });
    // B and C tie on 3; the tie order (lexicographic) prefers B.
    expect(outcome.result.winner).toBe('B');
  });
});

describe('RSVP threshold', () => {
  const rsvp = (answer: 'yes' | 'no' | 'maybe'): Ballot => ({ kind: 'rsvp', answer });
  const p = { min: 2, capacity: 3 };
  it('goes ahead when full or when nobody is undecided, fails when too few can still come', () => {
    expect(run('rsvp-threshold', p, 5, [rsvp('yes'), rsvp('yes'), null, null, null])).toEqual(
      out(false, true, 'pending'),
    );
    expect(run('rsvp-threshold', p, 5, [rsvp('yes'), rsvp('yes'), rsvp('yes'), null, null])).toEqual(
      out(true, true, 'decided'),
    );
    expect(
      run('rsvp-threshold', p, 5, [rsvp('yes'), rsvp('yes'), rsvp('no'), rsvp('no'), rsvp('no')]),
    ).toEqual(out(true, true, 'all-voted'));
    expect(run('rsvp-threshold', p, 5, [rsvp('no'), rsvp('no'), rsvp('no'), rsvp('no'), null])).toEqual(
      out(true, false, 'decided'),
    );
    expect(
      run('rsvp-threshold', p, 5, [rsvp('yes'), rsvp('maybe'), null, null, null], { now: AFTER }),
    ).toEqual(out(true, false, 'deadline'));
  });
  it('confirms the first `capacity` yes answers and waitlists the rest', () => {
    const members = memberIds(5);
    const { tally } = decide(
      { method: 'rsvp-threshold', params: p },
      {
        options: [],
        members,
        now: 0,
        deadline: null,
        ballots: [
          { voter: 'm005', ballot: rsvp('maybe') },
          { voter: 'm002', ballot: rsvp('yes') },
          { voter: 'm004', ballot: rsvp('yes') },
          { voter: 'm005', ballot: rsvp('yes') },
          { voter: 'm001', ballot: rsvp('yes') },
        ],
      },
    );
    expect(tally.rsvp.confirmed).toEqual(['m002', 'm004', 'm005']);
    expect(tally.rsvp.waitlist).toEqual(['m001']);
    expect(refusal(() => run('rsvp-threshold', { min: 4, capacity: 3 }, 1, []))).toBe('CONSENSUS_BAD_PARAMS');
  });
});

describe('all acknowledged', () => {
  it('passes when every member acknowledged, fails at the deadline otherwise', () => {
    expect(run('all-acknowledged', {}, 3, [ack, ack, ack])).toEqual(out(true, true, 'all-voted'));
    expect(run('all-acknowledged', {}, 3, [ack, ack, null])).toEqual(out(false, false, 'pending'));
    expect(run('all-acknowledged', {}, 3, [ack, ack, null], { now: AFTER })).toEqual(
      out(true, false, 'deadline'),
    );
  });
});

describe('Apache release vote', () => {
  const v = (vote: 1 | 0 | -1, binding = true): Ballot => ({ kind: 'apache', vote, binding });
  it('needs three binding +1 and more +1 than -1 (binding votes by default)', () => {
    expect(run('apache-release', {}, 5, [v(1), v(1), v(1), v(-1, false), v(-1, false)])).toEqual(
      out(true, true, 'all-voted'),
    );
    expect(run('apache-release', {}, 5, [v(1), v(1), v(1, false), v(1, false), v(0)])).toEqual(
      out(true, false, 'all-voted'),
    );
    expect(run('apache-release', {}, 6, [v(1), v(1), v(1), v(-1), v(-1), v(-1)])).toEqual(
      out(true, false, 'all-voted'),
    );
  });
  it('countNonBinding compares every +1 and -1', () => {
    const ballots = [v(1), v(1), v(1), v(-1, false), v(-1, false), v(-1, false)];
    expect(run('apache-release', {}, 6, ballots).result.passed).toBe(true);
    expect(run('apache-release', { countNonBinding: true }, 6, ballots).result.passed).toBe(false);
  });
  it('never closes early', () => {
    expect(run('apache-release', {}, 5, [v(1), v(1), v(1), v(1), null])).toEqual(out(false, true, 'pending'));
    expect(run('apache-release', {}, 5, [v(1), v(1), v(1), v(1), null], { now: AFTER })).toEqual(
      out(true, true, 'deadline'),
    );
  });
});

describe('method registry', () => {
  it('refuses unknown methods and unknown params', () => {
    expect(refusal(() => run('dictatorship', {}, 1, []))).toBe('CONSENSUS_UNKNOWN_METHOD');
    expect(refusal(() => run('toString', {}, 1, []))).toBe('CONSENSUS_UNKNOWN_METHOD');
    expect(refusal(() => run('majority', { threshold: 1 }, 1, []))).toBe('CONSENSUS_BAD_PARAMS');
    expect(refusal(() => run('majority', 'yes', 1, []))).toBe('CONSENSUS_BAD_PARAMS');
  });
  it('counts only the ballot kinds of the method', () => {
    const members = memberIds(3);
    const { tally, outcome } = decide(
      { method: 'majority' },
      {
        options: [],
        members,
        now: BEFORE,
        deadline: DEADLINE,
        ballots: [
          { voter: 'm001', ballot: yes },
          { voter: 'm001', ballot: ack },
          { voter: 'm002', ballot: yes },
        ],
      },
    );
    expect(tally.ignored).toEqual([{ index: 1, voter: 'm001', reason: 'kind-not-accepted' }]);
    expect(outcome).toEqual(out(true, true, 'decided'));
  });
});
