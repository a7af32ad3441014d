/**
 * RSVP threshold over `rsvp` ballots (docs/CONSENSUS.md "RSVP threshold"): the event goes
 * ahead when at least `min` places are confirmed (yes answers within the capacity).
 */
import { badParams, intParam, paramObject } from '../params.ts';
import { TALLY_LIMITS } from '../limits.ts';
import type { ConsensusMethod } from './method.ts';
import { conclude, remainingFor } from './outcome.ts';

export interface RsvpThresholdParams {
  min: number;
  capacity: number | null;
}

export const rsvpThreshold: ConsensusMethod<RsvpThresholdParams> = {
  ballotKind: 'rsvp',
  accepts: () => ['rsvp'],
  rules: (p) => ({ capacity: p.capacity }),
  validateParams(raw) {
    const obj = paramObject(raw, ['min', 'capacity']);
    const min = intParam(obj, 'min', 1, TALLY_LIMITS.maxCapacity);
    const capacity =
      obj.capacity === undefined || obj.capacity === null
        ? null
        : intParam(obj, 'capacity', 1, TALLY_LIMITS.maxCapacity);
    if (capacity !== null && min > capacity) badParams('"min" cannot be more than "capacity".');
    return { min, capacity };
  },
  evaluate(t, p) {
    const { yes, no } = t.rsvp;
    const passed = t.rsvp.confirmed.length >= p.min;
    const full = p.capacity !== null && yes >= p.capacity;
    // Members who may still say yes: silent ones and those who said maybe.
    const undecided = t.eligible - yes - no;
    const decided = (passed && (full || undecided === 0)) || yes + undecided < p.min;
    return conclude(t, { decided, remaining: remainingFor(t, ['rsvp']), allVotedEnds: false }, { passed });
  },
};
