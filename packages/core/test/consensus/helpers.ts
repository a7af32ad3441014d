/** Builders for consensus tests. */
import type { Ballot, CastBallot, TallyInput } from '../../src/consensus/types.ts';

export function memberIds(n: number, prefix = 'm'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(3, '0')}`);
}

/** Expands [count, ballot] groups into distinct voters v001.. with one ballot each. */
export function groups(spec: readonly [number, Ballot][]): { members: string[]; ballots: CastBallot[] } {
  const members: string[] = [];
  const ballots: CastBallot[] = [];
  for (const [count, ballot] of spec) {
    for (let i = 0; i < count; i++) {
      const voter = `v${String(members.length + 1).padStart(3, '0')}`;
      members.push(voter);
      ballots.push({ voter, ballot });
    }
  }
  return { members, ballots };
}

export const rank = (...ranking: string[]): Ballot => ({ kind: 'ranking', ranking });
export const yes: Ballot = { kind: 'yes-no', vote: 'yes' };
export const no: Ballot = { kind: 'yes-no', vote: 'no' };
export const abstain: Ballot = { kind: 'yes-no', vote: 'abstain' };

export function input(partial: Partial<TallyInput> & Pick<TallyInput, 'members' | 'ballots'>): TallyInput {
  return { options: [], now: 1_000, deadline: null, ...partial };
}

/** Casts `ballots` (voter -> ballot) in the given order. */
export function cast(pairs: readonly [string, Ballot][]): CastBallot[] {
  return pairs.map(([voter, ballot]) => ({ voter, ballot }));
}
