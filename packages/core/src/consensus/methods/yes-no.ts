/**
 * Yes/no methods over `yes-no` ballots (docs/CONSENSUS.md "Yes/no methods"). Y, N, A are the
 * yes, no and abstain counts, E the eligible members, R those without a yes-no ballot.
 * Early decisions assume the ballots already cast stand: the conversation closes the moment a
 * method is done, so a change of mind must arrive before that.
 */
import {
  badParams,
  enumParam,
  type Fraction,
  fractionParam,
  intParam,
  type NoParams,
  noParams,
  paramObject,
} from '../params.ts';
import type { Tally } from '../types.ts';
import type { ConsensusMethod } from './method.ts';
import { conclude, remainingFor } from './outcome.ts';

const YES_NO = ['yes-no'] as const;

function counts(t: Tally) {
  return { Y: t.yesNo.yes, N: t.yesNo.no, A: t.yesNo.abstain, E: t.eligible, R: remainingFor(t, YES_NO) };
}

const yesNoBase = {
  ballotKind: 'yes-no',
  accepts: () => YES_NO,
  rules: () => ({}),
} as const;

export interface UnanimityParams {
  /** 'eligible': every member votes yes. 'cast': nobody votes no and someone votes yes. */
  of: 'eligible' | 'cast';
}

export const unanimity: ConsensusMethod<UnanimityParams> = {
  ...yesNoBase,
  validateParams: (raw) => ({
    of: enumParam(paramObject(raw, ['of']), 'of', ['eligible', 'cast'], 'eligible'),
  }),
  evaluate(t, p) {
    const { Y, N, A, E, R } = counts(t);
    if (p.of === 'eligible') {
      const passed = E > 0 && Y === E;
      return conclude(t, { decided: passed || N > 0 || A > 0, remaining: R, allVotedEnds: true }, { passed });
    }
    return conclude(t, { decided: N > 0, remaining: R, allVotedEnds: true }, { passed: N === 0 && Y > 0 });
  },
};

/** Simple majority: more yes than no among the votes cast (abstentions do not count). */
export const majority: ConsensusMethod<NoParams> = {
  ...yesNoBase,
  validateParams: noParams,
  evaluate(t) {
    const { Y, N, R } = counts(t);
    return conclude(
      t,
      { decided: Y > N + R || Y + R <= N, remaining: R, allVotedEnds: true },
      { passed: Y > N },
    );
  },
};

/** Absolute majority: more than half of all eligible members vote yes. */
export const absoluteMajority: ConsensusMethod<NoParams> = {
  ...yesNoBase,
  validateParams: noParams,
  evaluate(t) {
    const { Y, E, R } = counts(t);
    const passed = 2 * Y > E;
    return conclude(t, { decided: passed || 2 * (Y + R) <= E, remaining: R, allVotedEnds: true }, { passed });
  },
};

export interface SupermajorityParams extends Fraction {
  /** 'cast': of yes+no votes (default). 'eligible': of all eligible members. */
  of: 'cast' | 'eligible';
}

/** At least numerator/denominator (more than 1/2) vote yes; at least one yes. */
export const supermajority: ConsensusMethod<SupermajorityParams> = {
  ...yesNoBase,
  validateParams(raw) {
    const obj = paramObject(raw, ['numerator', 'denominator', 'of']);
    const f = fractionParam({ numerator: obj.numerator, denominator: obj.denominator }, 'supermajority');
    if (2 * f.numerator <= f.denominator) badParams('A supermajority must be more than one half.');
    return { ...f, of: enumParam(obj, 'of', ['cast', 'eligible'], 'cast') };
  },
  evaluate(t, p) {
    const { Y, N, E, R } = counts(t);
    const k = p.numerator;
    const n = p.denominator;
    if (p.of === 'eligible') {
      const passed = Y > 0 && Y * n >= k * E;
      return conclude(
        t,
        { decided: passed || (Y + R) * n < k * E, remaining: R, allVotedEnds: true },
        { passed },
      );
    }
    const meets = (y: number, no: number) => y > 0 && y * n >= k * (y + no);
    // Worst case for passing: every missing voter votes no; best case: every one votes yes.
    return conclude(
      t,
      { decided: meets(Y, N + R) || !meets(Y + R, N), remaining: R, allVotedEnds: true },
      { passed: meets(Y, N) },
    );
  },
};

export interface QuorumMajorityParams {
  /** A count of members, or a fraction of the eligible members (rounded up, at least 1). */
  quorum: number | Fraction;
}

/** Enough members take part (yes, no or abstain) and more vote yes than no. */
export const quorumMajority: ConsensusMethod<QuorumMajorityParams> = {
  ...yesNoBase,
  validateParams(raw) {
    const obj = paramObject(raw, ['quorum']);
    if (obj.quorum === undefined) badParams('"quorum" is required (a count or { numerator, denominator }).');
    if (typeof obj.quorum === 'number') return { quorum: intParam(obj, 'quorum', 1, 1_000_000) };
    return { quorum: fractionParam(obj.quorum, 'quorum') };
  },
  evaluate(t, p) {
    const { Y, N, A, E, R } = counts(t);
    const q =
      typeof p.quorum === 'number'
        ? p.quorum
        : Math.max(1, Math.floor((E * p.quorum.numerator + p.quorum.denominator - 1) / p.quorum.denominator));
    const P = Y + N + A;
    const passed = P >= q && Y > N;
    const decided = (P >= q && Y > N + R) || Y + R <= N || P + R < q;
    return conclude(t, { decided, remaining: R, allVotedEnds: true }, { passed });
  },
};
