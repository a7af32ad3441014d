/** All acknowledged (announcements, docs/CONSENSUS.md): every eligible member sent an `ack`. */
import { type NoParams, noParams } from '../params.ts';
import type { ConsensusMethod } from './method.ts';
import { conclude, remainingFor } from './outcome.ts';

export const allAcknowledged: ConsensusMethod<NoParams> = {
  ballotKind: 'ack',
  accepts: () => ['ack'],
  rules: () => ({}),
  validateParams: noParams,
  evaluate(t) {
    const passed = t.acks.length === t.eligible;
    return conclude(
      t,
      { decided: passed, remaining: remainingFor(t, ['ack']), allVotedEnds: false },
      { passed },
    );
  },
};
