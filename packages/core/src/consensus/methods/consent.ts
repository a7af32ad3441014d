/**
 * Consent and lazy consensus over `ack` (consent), `objection` and `block` ballots
 * (docs/CONSENSUS.md "Consent"). A standing objection or block stops the proposal; with
 * blockOn 'block' an objection is only a recorded concern (a "stand aside") and only blocks stop.
 * A standing objection never ends the conversation early: it may still be withdrawn (a later
 * ack or withdraw ballot), so a stopped proposal fails only at the deadline.
 */
import { enumParam, paramObject } from '../params.ts';
import type { Tally } from '../types.ts';
import type { ConsensusMethod } from './method.ts';
import { conclude, remainingFor } from './outcome.ts';

export interface ConsentParams {
  blockOn: 'objection' | 'block';
}

const KINDS = ['ack', 'objection', 'block'] as const;

function stopping(t: Tally, p: ConsentParams): number {
  return t.blocks.length + (p.blockOn === 'objection' ? t.objections.length : 0);
}

const base = {
  ballotKind: 'ack',
  accepts: () => KINDS,
  rules: () => ({}),
  validateParams: (raw: unknown): ConsentParams => ({
    blockOn: enumParam(paramObject(raw, ['blockOn']), 'blockOn', ['objection', 'block'], 'objection'),
  }),
} as const;

/** Explicit consent: passes once every member has responded and nothing stops it. */
export const consent: ConsensusMethod<ConsentParams> = {
  ...base,
  evaluate(t, p) {
    const remaining = remainingFor(t, KINDS);
    const passed = stopping(t, p) === 0 && remaining === 0;
    return conclude(t, { decided: passed, remaining, allVotedEnds: false }, { passed });
  },
};

/** Lazy consensus: silence is consent; passes at the deadline unless something stops it. */
export const lazyConsensus: ConsensusMethod<ConsentParams> = {
  ...base,
  evaluate(t, p) {
    const remaining = remainingFor(t, KINDS);
    const passed = stopping(t, p) === 0;
    // Everyone already answered without stopping it: waiting for the deadline changes nothing.
    const decided = passed && remaining === 0;
    return conclude(t, { decided, remaining, allVotedEnds: false }, { passed });
  },
};
