/**
 * A Schulze tie is shown as a tie (issue #14): two voters with opposite rankings leave no
 * strongest path beating either option; the winner comes from the tie order, and the human
 * output says so, with the method's own explanation. The tally is core's, not a hand-made one.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '@kith/core/consensus/decide';
import { tieNote, tiedForFirst } from '../src/commands/conversation-view.ts';

describe('a Schulze tie in words', () => {
  const input = {
    options: ['tea', 'coffee'],
    members: ['ana', 'ben'],
    ballots: [
      { voter: 'ana', ballot: { kind: 'ranking' as const, ranking: ['tea', 'coffee'] } },
      { voter: 'ben', ballot: { kind: 'ranking' as const, ranking: ['coffee', 'tea'] } },
    ],
    now: 1_750_000_000_000,
    deadline: null,
    seed: 'c0ffee',
  };

  it('names both tied options and how the tie was broken', () => {
    const { tally, outcome } = decide({ method: 'schulze' }, input);
    expect(tally.schulze.winners).toHaveLength(2);
    const winner = outcome.result.winner;
    expect(['tea', 'coffee']).toContain(winner);
    const tie = tiedForFirst('schulze', tally as never);
    expect(tie?.tied.slice().sort()).toEqual(['coffee', 'tea']);
    const note = tieNote(outcome.result as never, 'schulze', tally as never);
    expect(note).toContain('a tie between');
    expect(note).toContain('no strongest path (Schulze, winning votes) beats any of them');
    expect(note).toContain('the first in the tie order wins');
    expect(note).toContain('It was broken by the conversation’s tie order');
  });

  it('a clear Schulze winner gets no tie note', () => {
    const clear = {
      ...input,
      members: ['ana', 'ben', 'cleo'],
      ballots: [
        ...input.ballots,
        { voter: 'cleo', ballot: { kind: 'ranking' as const, ranking: ['tea', 'coffee'] } },
      ],
    };
    const { tally, outcome } = decide({ method: 'schulze' }, clear);
    expect(outcome.result.winner).toBe('tea');
    expect(tieNote(outcome.result as never, 'schulze', tally as never)).toBe('');
  });
});
