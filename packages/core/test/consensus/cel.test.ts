/** Custom CEL rules: what they can see, and every way an unsafe rule is refused. */
import { describe, expect, it } from 'vitest';
import { CEL_LIMITS, compilePredicate, evaluatePredicate } from '../../src/consensus/cel/predicate.ts';
import { decide, prepareMethod } from '../../src/consensus/decide.ts';
import { tally } from '../../src/consensus/tally.ts';
import type { Tally } from '../../src/consensus/types.ts';
import { isKithError } from '../../src/errors.ts';
import { abstain, cast, groups, input, memberIds, no, rank, yes } from './helpers.ts';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isKithError(e)) return e.code;
    throw e;
  }
  return 'accepted';
}

const evalOn = (src: string, t: Tally) => evaluatePredicate(compilePredicate(src), t);

const yesNoTally = tally(
  input({
    members: memberIds(5),
    ballots: cast([
      ['m001', yes],
      ['m002', yes],
      ['m003', no],
      ['m004', abstain],
      ['m005', { kind: 'ack' }],
    ]),
    now: 1_500,
    deadline: 2_000,
  }),
);

const tennessee = tally({
  options: ['Memphis', 'Nashville', 'Chattanooga', 'Knoxville'],
  ...groups([
    [42, rank('Memphis', 'Nashville', 'Chattanooga', 'Knoxville')],
    [26, rank('Nashville', 'Chattanooga', 'Knoxville', 'Memphis')],
    [15, rank('Chattanooga', 'Knoxville', 'Nashville', 'Memphis')],
    [17, rank('Knoxville', 'Chattanooga', 'Nashville', 'Memphis')],
  ]),
  now: 0,
  deadline: null,
});

describe('CEL rules see the tally as typed variables', () => {
  it('counts, turnout and times', () => {
    expect(evalOn('yes > no && turnout == 5 && eligible == 5 && remaining == 0', yesNoTally)).toBe(true);
    expect(evalOn('yes * 3 >= eligible * 2', yesNoTally)).toBe(false);
    expect(evalOn('double(yes) / double(yes + no) > 0.66', yesNoTally)).toBe(true);
    expect(evalOn('has_deadline && !deadline_passed && deadline - now == 500', yesNoTally)).toBe(true);
    expect(evalOn("votes['m001'] == 'yes' && votes.m003 == 'no' && !('m005' in votes)", yesNoTally)).toBe(
      true,
    );
    expect(evalOn("kinds['m005'] == 'ack' && acknowledged == ['m005'] && acks == 1", yesNoTally)).toBe(true);
  });
  it('macros over members and options', () => {
    expect(evalOn('members.all(m, m in voters)', yesNoTally)).toBe(true);
    expect(evalOn("members.exists_one(m, m.startsWith('m00') && m.endsWith('5'))", yesNoTally)).toBe(true);
    // m005 has no yes-no ballot: a missing key is a run-time error, so guard with `in`.
    expect(code(() => evalOn("members.filter(m, votes[m] == 'yes').size() == 2", yesNoTally))).toBe(
      'CONSENSUS_CEL_RUNTIME',
    );
    expect(evalOn("members.filter(m, m in votes && votes[m] == 'yes').size() == 2", yesNoTally)).toBe(true);
    expect(evalOn('members.map(m, 1).size() == size(members)', yesNoTally)).toBe(true);
  });
  it('rankings, pairwise matrix and winners', () => {
    expect(evalOn("winner.irv == 'Knoxville' && winner['schulze'] == 'Nashville'", tennessee)).toBe(true);
    expect(evalOn("winner.condorcet == winner.borda && winner.plurality == ''", tennessee)).toBe(true);
    expect(
      evalOn(
        "options.all(o, o == 'Nashville' || pairwise['Nashville'][o] > pairwise[o]['Nashville'])",
        tennessee,
      ),
    ).toBe(true);
    expect(evalOn("first_preferences['Memphis'] == 42 && borda.Nashville == 194", tennessee)).toBe(true);
    expect(evalOn("strongest['Nashville']['Memphis'] == 58 && irv_rounds == 3", tennessee)).toBe(true);
  });
  it('fails at run time on a missing key or a division by zero', () => {
    expect(code(() => evalOn("pairwise['Atlantis']['Memphis'] > 0", tennessee))).toBe(
      'CONSENSUS_CEL_RUNTIME',
    );
    expect(code(() => evalOn('yes / (no - 1) > 0', yesNoTally))).toBe('CONSENSUS_CEL_RUNTIME');
  });
});

describe('CEL rules are refused when unsafe', () => {
  it('non-bool', () => {
    expect(code(() => compilePredicate('yes + no'))).toBe('CONSENSUS_CEL_NOT_BOOL');
    expect(code(() => compilePredicate('options'))).toBe('CONSENSUS_CEL_NOT_BOOL');
    expect(code(() => compilePredicate("'true'"))).toBe('CONSENSUS_CEL_NOT_BOOL');
    expect(code(() => compilePredicate('yes > no ? 1 : 0'))).toBe('CONSENSUS_CEL_NOT_BOOL');
  });
  it('oversized', () => {
    const long = Array(CEL_LIMITS.maxBytes).fill('true').join(' && ');
    expect(code(() => compilePredicate(long))).toBe('CONSENSUS_CEL_TOO_LONG');
    // Bytes, not characters: 700 three-byte characters are over 2 KiB.
    expect(code(() => compilePredicate(`'${'€'.repeat(700)}' != ''`))).toBe('CONSENSUS_CEL_TOO_LONG');
  });
  it('too deep', () => {
    expect(code(() => compilePredicate(`${'('.repeat(1000)}true${')'.repeat(1000)}`))).toBe(
      'CONSENSUS_CEL_TOO_DEEP',
    );
    expect(code(() => compilePredicate(`${'('.repeat(33)}true${')'.repeat(33)}`))).toBe(
      'CONSENSUS_CEL_TOO_DEEP',
    );
    expect(code(() => compilePredicate(`${Array(40).fill('yes').join(' + ')} > 0`))).toBe(
      'CONSENSUS_CEL_TOO_DEEP',
    );
    expect(
      code(() => compilePredicate('options.all(a, options.all(b, options.all(c, options.all(d, a == d))))')),
    ).toBe('CONSENSUS_CEL_TOO_DEEP');
    // Brackets inside a string literal do not count.
    expect(code(() => compilePredicate(`'${'('.repeat(100)}' != ''`))).toBe('accepted');
  });
  it('disallowed functions and constructs', () => {
    for (const src of [
      "'abc'.matches('a+')",
      "timestamp('2024-01-01T00:00:00Z') < timestamp('2025-01-01T00:00:00Z')",
      "duration('1h') > duration('1m')",
      'dyn(yes) == 1',
      'type(yes) == int',
      "string(yes) == '2'",
      "{'a': 1}.size() > 0",
      "b'x' == b'x'",
      'null == null',
      'members.all(m, [m, 1].size() == 2) || now.size() > 1',
    ]) {
      expect([src, code(() => compilePredicate(src))]).toEqual([
        src,
        src.startsWith('members.all') ? 'CONSENSUS_CEL_TYPE' : 'CONSENSUS_CEL_FORBIDDEN',
      ]);
    }
  });
  it('type errors and syntax errors', () => {
    expect(code(() => compilePredicate('ballots > 1'))).toBe('CONSENSUS_CEL_TYPE');
    expect(code(() => compilePredicate("yes > 'a'"))).toBe('CONSENSUS_CEL_TYPE');
    expect(code(() => compilePredicate('yes.field == 1'))).toBe('CONSENSUS_CEL_TYPE');
    expect(code(() => compilePredicate('[].exists(x, x > 1)'))).toBe('CONSENSUS_CEL_TYPE');
    expect(code(() => compilePredicate('yes >'))).toBe('CONSENSUS_CEL_SYNTAX');
    expect(code(() => compilePredicate(42 as unknown as string))).toBe('CONSENSUS_CEL_SYNTAX');
  });
  it('slow: the cost bound for the largest tally is over the budget', () => {
    expect(code(() => compilePredicate('members.all(a, members.all(b, a != b || a == b))'))).toBe(
      'CONSENSUS_CEL_TOO_COSTLY',
    );
    expect(
      code(() =>
        compilePredicate(
          'options.all(a, options.all(b, options.all(c, pairwise[a][b] + pairwise[b][c] >= pairwise[a][c])))',
        ),
      ),
    ).toBe('CONSENSUS_CEL_TOO_COSTLY');
    expect(code(() => compilePredicate('members.map(a, members.filter(b, b < a)).size() > 0'))).toBe(
      'CONSENSUS_CEL_TOO_COSTLY',
    );
  });
  it('slow: a rule compiled for small bounds is refused on a larger tally before it runs', () => {
    const rule = 'members.all(a, members.all(b, a != b || a == b))';
    const p = compilePredicate(rule, { members: 20, options: 2, idLength: 8 });
    const small = tally(input({ members: memberIds(20), ballots: [] }));
    expect(evaluatePredicate(p, small)).toBe(true);
    const large = tally(input({ members: memberIds(600), ballots: [] }));
    expect(code(() => evaluatePredicate(p, large))).toBe('CONSENSUS_CEL_TOO_COSTLY');
  });
});

describe('the cel method', () => {
  const members = memberIds(3);
  const ballots = cast([
    ['m001', yes],
    ['m002', yes],
  ]);
  it('done and passed are separate rules', () => {
    const spec = {
      method: 'cel',
      params: {
        done: 'deadline_passed || remaining == 0',
        passed: 'yes * 3 >= eligible * 2',
        accepts: ['yes-no'],
      },
    };
    expect(decide(spec, { options: [], members, ballots, now: 1, deadline: 10 }).outcome).toEqual({
      done: false,
      result: { passed: true, reason: 'pending' },
    });
    expect(decide(spec, { options: [], members, ballots, now: 10, deadline: 10 }).outcome).toEqual({
      done: true,
      result: { passed: true, reason: 'decided' },
    });
  });
  it('the example of docs/CONSENSUS.md compiles and decides', () => {
    const spec = {
      method: 'cel',
      params: {
        done: 'deadline_passed || remaining == 0',
        passed: 'yes * 3 >= (yes + no) * 2 && turnout * 2 >= eligible',
        accepts: ['yes-no'],
      },
    };
    const four = memberIds(4);
    const b = cast([
      ['m001', yes],
      ['m002', yes],
      ['m003', no],
    ]);
    expect(decide(spec, { options: [], members: four, ballots: b, now: 5, deadline: 5 }).outcome).toEqual({
      done: true,
      result: { passed: true, reason: 'decided' },
    });
    expect(
      decide(spec, { options: [], members: four, ballots: b.slice(0, 1), now: 5, deadline: 5 }).outcome,
    ).toEqual({
      done: true,
      result: { passed: false, reason: 'decided' },
    });
  });
  it('reports a winner from the tally', () => {
    const spec = {
      method: 'cel',
      params: { done: 'remaining == 0', winner: 'schulze', accepts: ['ranking'] },
    };
    const out = decide(spec, {
      options: ['a', 'b'],
      members: ['m1', 'm2'],
      ballots: cast([
        ['m1', rank('b', 'a')],
        ['m2', rank('b')],
      ]),
      now: 0,
      deadline: null,
    }).outcome;
    expect(out).toEqual({ done: true, result: { passed: true, winner: 'b', reason: 'decided' } });
  });
  it('a run-time error counts as not done', () => {
    const spec = { method: 'cel', params: { done: "votes['m003'] == 'yes'", accepts: ['yes-no'] } };
    expect(decide(spec, { options: [], members, ballots, now: 1, deadline: null }).outcome).toEqual({
      done: false,
      result: { passed: false, reason: 'pending', error: 'CONSENSUS_CEL_RUNTIME' },
    });
  });
  it('the deadline closes it like every other method, with the rules’ value then', () => {
    // docs/CONSENSUS.md "When a method is done": done once now >= deadline, always.
    const never = { method: 'cel', params: { done: 'false', accepts: ['yes-no'] } };
    expect(decide(never, { options: [], members, ballots, now: 9, deadline: 10 }).outcome).toEqual({
      done: false,
      result: { passed: false, reason: 'pending' },
    });
    expect(decide(never, { options: [], members, ballots, now: 10, deadline: 10 }).outcome).toEqual({
      done: true,
      result: { passed: false, reason: 'deadline' },
    });
    // A `passed` rule gives the result at the deadline: two of three said yes.
    const twoThirds = {
      method: 'cel',
      params: { done: 'remaining == 0', passed: 'yes * 3 >= eligible * 2', accepts: ['yes-no'] },
    };
    expect(decide(twoThirds, { options: [], members, ballots, now: 11, deadline: 10 }).outcome).toEqual({
      done: true,
      result: { passed: true, reason: 'deadline' },
    });
    // A rule failing at run time (no option 'z') no longer keeps it open for ever.
    const failing = {
      method: 'cel',
      params: { done: "scores['z'] > 0", winner: 'score', accepts: ['score'] },
    };
    const scored = {
      options: ['a'],
      members,
      ballots: cast([['m001', { kind: 'score', scores: { a: 3 } }]]),
    };
    expect(decide(failing, { ...scored, now: 1, deadline: 10 }).outcome).toMatchObject({
      done: false,
      result: { passed: false, reason: 'pending', error: 'CONSENSUS_CEL_RUNTIME' },
    });
    expect(decide(failing, { ...scored, now: 10, deadline: 10 }).outcome).toEqual({
      done: true,
      result: { passed: false, winner: 'a', reason: 'deadline', error: 'CONSENSUS_CEL_RUNTIME' },
    });
  });
  it('validates its params', () => {
    const prep = (params: unknown) => code(() => prepareMethod({ method: 'cel', params }));
    expect(prep({ done: 'true' })).toBe('CONSENSUS_BAD_PARAMS');
    expect(prep({ done: 'true', accepts: [] })).toBe('CONSENSUS_BAD_PARAMS');
    expect(prep({ done: 'true', accepts: ['withdraw'] })).toBe('CONSENSUS_BAD_PARAMS');
    expect(prep({ done: 'true', accepts: ['ack'], winner: 'dictator' })).toBe('CONSENSUS_BAD_PARAMS');
    expect(prep({ done: 'true', accepts: ['score'], rules: { dotBudget: 0 } })).toBe('CONSENSUS_BAD_PARAMS');
    expect(prep({ done: 'yes', accepts: ['ack'] })).toBe('CONSENSUS_CEL_NOT_BOOL');
    expect(prep({ done: 'true', accepts: ['ack'], passed: "'x'.matches('x')" })).toBe(
      'CONSENSUS_CEL_FORBIDDEN',
    );
    expect(prep({ done: 'true', accepts: ['score'], rules: { score: { min: 1, max: 3 } } })).toBe('accepted');
  });
});
