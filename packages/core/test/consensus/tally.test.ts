/** The tally: latest ballot wins, ignored ballots, input checks, tie order, JSON shape. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assertBallot } from '../../src/consensus/ballot.ts';
import { TALLY_LIMITS } from '../../src/consensus/limits.ts';
import { tally } from '../../src/consensus/tally.ts';
import { tieOrder } from '../../src/consensus/tie-order.ts';
import type { Ballot, CastBallot, TallyInput } from '../../src/consensus/types.ts';
import { isKithError } from '../../src/errors.ts';
import { HASH } from '../../src/labels.ts';
import { abstain, cast, input, memberIds, no, rank, yes } from './helpers.ts';

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isKithError(e)) return e.code;
    throw e;
  }
  return 'accepted';
}

describe('latest ballot per voter', () => {
  it('replaces earlier ballots, of any kind, in event order', () => {
    const t = tally(
      input({
        members: ['alice', 'bob'],
        ballots: cast([
          ['alice', yes],
          ['bob', yes],
          ['alice', no],
          ['bob', { kind: 'objection', reason: 'wait' }],
        ]),
      }),
    );
    expect(t.yesNo).toEqual({ yes: 0, no: 1, abstain: 0 });
    expect(t.objections).toEqual([{ voter: 'bob', reason: 'wait' }]);
    expect(t.ballots).toEqual({ alice: no, bob: { kind: 'objection', reason: 'wait' } });
    expect(t.kinds['yes-no']).toBe(1);
    expect(t.kinds.objection).toBe(1);
  });

  it('withdraw takes the voter out of the turnout', () => {
    const t = tally(
      input({
        members: ['alice', 'bob', 'carol'],
        ballots: cast([
          ['alice', yes],
          ['bob', abstain],
          ['alice', { kind: 'withdraw' }],
        ]),
      }),
    );
    expect(t.voters).toEqual(['bob']);
    expect(t.turnout).toBe(1);
    expect(t.remaining).toBe(2);
    expect(t.yesNo).toEqual({ yes: 0, no: 0, abstain: 1 });
  });

  it('an invalid ballot is ignored and does not replace a valid one', () => {
    const t = tally(
      input({
        options: ['a', 'b'],
        members: ['alice', 'bob'],
        ballots: [
          { voter: 'alice', ballot: rank('a', 'b') },
          { voter: 'alice', ballot: rank('a', 'a') },
          { voter: 'alice', ballot: rank('c') },
          { voter: 'mallory', ballot: rank('b') },
          { voter: 'bob', ballot: { kind: 'score', scores: { a: 11 } } },
          { voter: 'bob', ballot: { kind: 'dots', dots: { a: 6, b: 5 } } },
          { voter: 'bob', ballot: { kind: 'magic' } as unknown as Ballot },
          {
            voter: 'bob',
            ballot: { kind: 'objection', reason: 'x'.repeat(TALLY_LIMITS.maxReasonLength + 1) },
          },
          { voter: 'bob', ballot: { kind: 'apache', vote: 2, binding: true } as unknown as Ballot },
        ],
      }),
    );
    expect(t.ballots).toEqual({ alice: rank('a', 'b') });
    expect(t.ignored.map((i) => [i.index, i.voter, i.reason])).toEqual([
      [1, 'alice', 'duplicate-option'],
      [2, 'alice', 'unknown-option'],
      [3, 'mallory', 'not-a-member'],
      [4, 'bob', 'score-out-of-range'],
      [5, 'bob', 'over-budget'],
      [6, 'bob', 'malformed'],
      [7, 'bob', 'reason-too-long'],
      [8, 'bob', 'malformed'],
    ]);
  });

  it('copies only the fields of the ballot kind', () => {
    const b = { kind: 'yes-no', vote: 'yes', note: 'secret plan' } as unknown as Ballot;
    const t = tally(input({ members: ['alice'], ballots: [{ voter: 'alice', ballot: b }] }));
    expect(t.ballots.alice).toEqual({ kind: 'yes-no', vote: 'yes' });
  });
});

describe('counts', () => {
  it('approval, score (missing = min), dots, choices, acks, RSVP and Apache', () => {
    const t = tally(
      input({
        options: ['x', 'y'],
        members: memberIds(9),
        rules: { score: { min: -2, max: 2 }, dotBudget: 4, capacity: 1 },
        ballots: cast([
          ['m001', { kind: 'approval', options: ['x', 'y'] }],
          ['m002', { kind: 'score', scores: { x: 2 } }],
          ['m003', { kind: 'score', scores: { x: -1, y: 1 } }],
          ['m004', { kind: 'dots', dots: { x: 1, y: 3 } }],
          ['m005', { kind: 'choice', option: 'y' }],
          ['m006', { kind: 'ack' }],
          ['m007', { kind: 'rsvp', answer: 'yes' }],
          ['m008', { kind: 'rsvp', answer: 'yes' }],
          ['m009', { kind: 'apache', vote: -1, binding: false }],
        ]),
      }),
    );
    expect(t.approvals).toEqual({ x: 1, y: 1 });
    expect(t.scores).toEqual({ x: 1, y: -1 });
    expect(t.dots).toEqual({ x: 1, y: 3 });
    expect(t.choices).toEqual({ x: 0, y: 1 });
    expect(t.acks).toEqual(['m006']);
    expect(t.rsvp).toEqual({ yes: 2, no: 0, maybe: 0, capacity: 1, confirmed: ['m007'], waitlist: ['m008'] });
    expect(t.apache).toEqual({
      binding: { plus: 0, zero: 0, minus: 0 },
      all: { plus: 0, zero: 0, minus: 1 },
    });
    expect(t.winners).toMatchObject({ approval: 'x', score: 'x', dots: 'y', plurality: 'y' });
  });

  it('partial rankings: ranked above unranked, unranked options tied', () => {
    const t = tally(
      input({ options: ['a', 'b', 'c'], members: ['v1'], ballots: [{ voter: 'v1', ballot: rank('b') }] }),
    );
    expect(t.pairwise).toEqual({ a: { b: 0, c: 0 }, b: { a: 1, c: 1 }, c: { a: 0, b: 0 } });
    expect(t.rankings).toEqual([{ ranking: ['b'], count: 1 }]);
  });

  it('deadline: reached when now >= deadline', () => {
    const base = input({ members: ['a'], ballots: [] });
    expect(tally({ ...base, now: 99, deadline: 100 }).deadlinePassed).toBe(false);
    expect(tally({ ...base, now: 100, deadline: 100 }).deadlinePassed).toBe(true);
    expect(tally({ ...base, now: 100, deadline: null }).deadlinePassed).toBe(false);
  });
});

describe('input checks', () => {
  const ok: TallyInput = input({ options: ['a'], members: ['m'], ballots: [] });
  it('refuses malformed options, members and times', () => {
    expect(code(() => tally({ ...ok, options: ['a', 'a'] }))).toBe('CONSENSUS_BAD_INPUT');
    expect(code(() => tally({ ...ok, options: ['__proto__'] }))).toBe('CONSENSUS_BAD_INPUT');
    expect(code(() => tally({ ...ok, options: ['with space'] }))).toBe('CONSENSUS_BAD_INPUT');
    expect(code(() => tally({ ...ok, members: [''] }))).toBe('CONSENSUS_BAD_INPUT');
    expect(code(() => tally({ ...ok, members: ['m'.repeat(129)] }))).toBe('CONSENSUS_BAD_INPUT');
    expect(code(() => tally({ ...ok, now: -1 }))).toBe('CONSENSUS_BAD_INPUT');
    expect(code(() => tally({ ...ok, now: 1.5 }))).toBe('CONSENSUS_BAD_INPUT');
    expect(code(() => tally({ ...ok, deadline: Number.NaN }))).toBe('CONSENSUS_BAD_INPUT');
    expect(code(() => tally({ ...ok, rules: { score: { min: 3, max: 1 } } }))).toBe('CONSENSUS_BAD_INPUT');
    expect(code(() => tally({ ...ok, rules: { capacity: 0 } }))).toBe('CONSENSUS_BAD_INPUT');
    expect(code(() => tally({ ...ok, accept: ['vote' as never] }))).toBe('CONSENSUS_BAD_INPUT');
    expect(code(() => tally({ ...ok, seed: 'x'.repeat(256) }))).toBe('CONSENSUS_BAD_INPUT');
  });
  it('refuses tallies over the size limits', () => {
    const many = memberIds(TALLY_LIMITS.maxOptions + 1, 'o');
    expect(code(() => tally({ ...ok, options: many }))).toBe('CONSENSUS_TOO_LARGE');
    expect(code(() => tally({ ...ok, members: memberIds(TALLY_LIMITS.maxMembers + 1) }))).toBe(
      'CONSENSUS_TOO_LARGE',
    );
  });
  it('assertBallot refuses an invalid ballot with CONSENSUS_BAD_BALLOT', () => {
    expect(code(() => assertBallot({ kind: 'choice', option: 'z' }, ['a']))).toBe('CONSENSUS_BAD_BALLOT');
    expect(code(() => assertBallot({ kind: 'choice', option: 'a' }, ['a']))).toBe('accepted');
  });
});

describe('tie order', () => {
  it('is lexicographic without a seed', () => {
    expect(tieOrder(['b', 'C', 'a'])).toEqual(['C', 'a', 'b']);
  });
  it('with a seed, sorts by SHA-256 of the framed label, seed and option', () => {
    const frame = (label: string, msg: Buffer) =>
      Buffer.concat([Buffer.from([Buffer.byteLength(label)]), Buffer.from(label), msg]);
    const key = (seed: string, o: string) =>
      createHash('sha256')
        .update(frame(HASH.CONSENSUS_TIE_BREAK, frame(seed, Buffer.from(o))))
        .digest('hex');
    const options = ['red', 'green', 'blue', 'amber'];
    const expected = [...options].sort((a, b) => (key('c0ffee', a) < key('c0ffee', b) ? -1 : 1));
    expect(tieOrder(options, 'c0ffee')).toEqual(expected);
    const t = tally(input({ options, members: ['m'], ballots: [], seed: 'c0ffee' }));
    expect(t.tieOrder).toEqual(expected);
  });
  it('breaks a plurality tie by the seeded order', () => {
    const options = ['red', 'green'];
    const ballots: CastBallot[] = cast([
      ['m1', { kind: 'choice', option: 'red' }],
      ['m2', { kind: 'choice', option: 'green' }],
    ]);
    for (const seed of ['s1', 's2', 's3', 's4']) {
      const t = tally(input({ options, members: ['m1', 'm2'], ballots, seed }));
      expect(t.winners.plurality).toBe(t.tieOrder[0]);
    }
  });
});

describe('JSON shape', () => {
  it('round-trips through JSON unchanged and is byte-identical for equal input', () => {
    const inp = input({
      options: ['a', 'b', 'c'],
      members: ['z', 'y', 'x'],
      ballots: cast([
        ['x', rank('c', 'a')],
        ['y', rank('b')],
        ['z', rank('a', 'b', 'c')],
      ]),
      deadline: 5_000,
    });
    const t = tally(inp);
    const json = JSON.stringify(t);
    expect(JSON.parse(json)).toEqual(t);
    expect(JSON.stringify(tally(structuredClone(inp)))).toBe(json);
    expect(t.members).toEqual(['x', 'y', 'z']);
  });
});

describe('a refused ballot says what would be valid (issue #14)', () => {
  const options = ['red', 'green', 'blue'];
  const message = (ballot: unknown) => {
    try {
      assertBallot(ballot, options);
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };

  it('an unknown option lists the options', () => {
    expect(message({ kind: 'choice', option: 'purple' })).toContain('"red", "green", "blue"');
    expect(message({ kind: 'ranking', ranking: ['red', 'red'] })).toContain('twice');
    expect(message({ kind: 'score', scores: { red: 11 } })).toContain('outside 0 to 10');
    expect(message({ kind: 'dots', dots: { red: 11 } })).toContain('10 dots');
    expect(message({ kind: 'choice', option: 'red' })).toBe('accepted');
  });
});
