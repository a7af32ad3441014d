/**
 * Published worked examples:
 * - Tennessee capital (Wikipedia, "Instant-runoff voting", "Condorcet method", "Borda count"):
 *   42% Memphis > Nashville > Chattanooga > Knoxville, 26% Nashville > Chattanooga > Knoxville >
 *   Memphis, 15% Chattanooga > Knoxville > Nashville > Memphis, 17% Knoxville > Chattanooga >
 *   Nashville > Memphis. IRV elects Knoxville; Condorcet/Schulze and Borda elect Nashville
 *   (Borda 3-2-1-0: Nashville 194, Chattanooga 173, Memphis 126, Knoxville 107).
 * - Schulze's example (Schulze 2011 §3.1 / Wikipedia "Schulze method"): 45 voters, A..E; E wins,
 *   with the published pairwise and strongest-path matrices.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/consensus/decide.ts';
import { tally } from '../../src/consensus/tally.ts';
import { groups, rank } from './helpers.ts';

const TN = ['Memphis', 'Nashville', 'Chattanooga', 'Knoxville'];
const tennessee = groups([
  [42, rank('Memphis', 'Nashville', 'Chattanooga', 'Knoxville')],
  [26, rank('Nashville', 'Chattanooga', 'Knoxville', 'Memphis')],
  [15, rank('Chattanooga', 'Knoxville', 'Nashville', 'Memphis')],
  [17, rank('Knoxville', 'Chattanooga', 'Nashville', 'Memphis')],
]);
const tnInput = { options: TN, ...tennessee, now: 0, deadline: null };

describe('Tennessee capital election', () => {
  const t = tally(tnInput);

  it('IRV eliminates Chattanooga, then Nashville, and elects Knoxville 58 to 42', () => {
    expect(t.irv.rounds).toEqual([
      {
        counts: { Memphis: 42, Nashville: 26, Chattanooga: 15, Knoxville: 17 },
        exhausted: 0,
        eliminated: 'Chattanooga',
      },
      { counts: { Memphis: 42, Nashville: 26, Knoxville: 32 }, exhausted: 0, eliminated: 'Nashville' },
      { counts: { Memphis: 42, Knoxville: 58 }, exhausted: 0, eliminated: null },
    ]);
    expect(t.irv.winner).toBe('Knoxville');
    expect(decide({ method: 'irv' }, tnInput).outcome).toEqual({
      done: true,
      result: { passed: true, winner: 'Knoxville', reason: 'all-voted' },
    });
  });

  it('Nashville is the Condorcet winner and wins under Schulze', () => {
    expect(t.pairwise.Nashville).toEqual({ Memphis: 58, Chattanooga: 68, Knoxville: 68 });
    expect(t.pairwise.Memphis).toEqual({ Nashville: 42, Chattanooga: 42, Knoxville: 42 });
    expect(t.pairwise.Chattanooga).toEqual({ Memphis: 58, Nashville: 32, Knoxville: 83 });
    expect(t.winners.condorcet).toBe('Nashville');
    expect(t.schulze.winners).toEqual(['Nashville']);
    expect(decide({ method: 'schulze' }, tnInput).outcome.result.winner).toBe('Nashville');
  });

  it('Borda gives Nashville 194, Chattanooga 173, Memphis 126, Knoxville 107', () => {
    expect(t.borda.scores).toEqual({ Memphis: 126, Nashville: 194, Chattanooga: 173, Knoxville: 107 });
    expect(decide({ method: 'borda' }, tnInput).outcome.result.winner).toBe('Nashville');
  });
});

describe("Schulze's 45-voter example", () => {
  const spec = groups([
    [5, rank('A', 'C', 'B', 'E', 'D')],
    [5, rank('A', 'D', 'E', 'C', 'B')],
    [8, rank('B', 'E', 'D', 'A', 'C')],
    [3, rank('C', 'A', 'B', 'E', 'D')],
    [7, rank('C', 'A', 'E', 'B', 'D')],
    [2, rank('C', 'B', 'A', 'D', 'E')],
    [7, rank('D', 'C', 'E', 'B', 'A')],
    [8, rank('E', 'B', 'A', 'D', 'C')],
  ]);
  const inp = { options: ['A', 'B', 'C', 'D', 'E'], ...spec, now: 0, deadline: null };
  const t = tally(inp);

  it('has the published pairwise preferences', () => {
    expect(t.pairwise).toEqual({
      A: { B: 20, C: 26, D: 30, E: 22 },
      B: { A: 25, C: 16, D: 33, E: 18 },
      C: { A: 19, B: 29, D: 17, E: 24 },
      D: { A: 15, B: 12, C: 28, E: 14 },
      E: { A: 23, B: 27, C: 21, D: 31 },
    });
  });

  it('has the published strongest paths and elects E', () => {
    expect(t.schulze.strongest).toEqual({
      A: { B: 28, C: 28, D: 30, E: 24 },
      B: { A: 25, C: 28, D: 33, E: 24 },
      C: { A: 25, B: 29, D: 29, E: 24 },
      D: { A: 25, B: 28, C: 28, E: 24 },
      E: { A: 25, B: 28, C: 28, D: 31 },
    });
    expect(t.schulze.winners).toEqual(['E']);
    expect(t.winners.condorcet).toBeNull();
    expect(decide({ method: 'schulze' }, inp).outcome).toEqual({
      done: true,
      result: { passed: true, winner: 'E', reason: 'all-voted' },
    });
  });
});
