/**
 * Time poll (a "when can we meet" poll): the genesis options are the candidate times (at least
 * two, any labels, e.g. "2025-06-07T18:00"); members mark the times that suit them (approval by
 * default; a choice, ranking, scores or dots if the method asks for them) and may comment.
 */
import { KithError } from '../../errors.ts';
import type { Pattern } from './pattern.ts';
import { comment, noParams } from './shared.ts';

export const timePoll: Pattern = {
  name: 'time-poll',
  kinds: { comment },
  ballotKinds: ['approval', 'choice', 'ranking', 'score', 'dots'],
  recordedBallotKinds: [],
  validateParams: noParams,
  checkGenesis(g) {
    if (g.options.length < 2)
      throw new KithError(
        'CONVERSATION_BAD_GENESIS',
        'A time poll needs at least two candidate times (options).',
      );
  },
};
