/**
 * Proposal (docs/DESIGN.md §8 "proposal: votes, objections, blocks"): members vote in the form the
 * method needs (choice, approval set, ranking, scores, dots, yes/no, ack for consent, Apache
 * +1/0/-1) and may object or block with a reason at any time; an objection or block is recorded
 * even when the method does not count it. Anyone taking part may comment (threaded).
 */
import type { Pattern } from './pattern.ts';
import { comment, noParams } from './shared.ts';

export const proposal: Pattern = {
  name: 'proposal',
  kinds: { comment },
  ballotKinds: [
    'yes-no',
    'choice',
    'approval',
    'ranking',
    'score',
    'dots',
    'ack',
    'objection',
    'block',
    'apache',
  ],
  recordedBallotKinds: ['objection', 'block'],
  validateParams: noParams,
};
