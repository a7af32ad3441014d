/**
 * Apache release vote (https://www.apache.org/foundation/voting.html, "majority approval"):
 * at least three binding +1 votes and more +1 than -1 votes. Apache treats non-binding votes as
 * advisory, so by default the +1/-1 comparison counts binding votes only; `countNonBinding`
 * makes it count every vote. Like Apache's minimum voting window there is no early close:
 * done when every eligible member voted or at the deadline. A -1 is not a veto (releases cannot
 * be vetoed).
 */
import { paramObject, intParam, badParams } from '../params.ts';
import type { ConsensusMethod } from './method.ts';
import { conclude, remainingFor } from './outcome.ts';

export interface ApacheReleaseParams {
  minBindingPlus: number;
  countNonBinding: boolean;
}

export const apacheRelease: ConsensusMethod<ApacheReleaseParams> = {
  ballotKind: 'apache',
  accepts: () => ['apache'],
  rules: () => ({}),
  validateParams(raw) {
    const obj = paramObject(raw, ['minBindingPlus', 'countNonBinding']);
    const countNonBinding = obj.countNonBinding ?? false;
    if (typeof countNonBinding !== 'boolean') badParams('"countNonBinding" must be true or false.');
    return { minBindingPlus: intParam(obj, 'minBindingPlus', 1, 1000, 3), countNonBinding };
  },
  evaluate(t, p) {
    const { binding, all } = t.apache;
    const compared = p.countNonBinding ? all : binding;
    const passed = binding.plus >= p.minBindingPlus && compared.plus > compared.minus;
    return conclude(
      t,
      { decided: false, remaining: remainingFor(t, ['apache']), allVotedEnds: true },
      { passed },
    );
  },
};
