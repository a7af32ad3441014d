/**
 * Announcement (docs/DESIGN.md §8 "announcement: only the author posts, others acknowledge"): the
 * creator posts `announce` events (the first is the announcement, later ones amend it); members
 * acknowledge with an `ack` vote once an announcement precedes it. The author's own announcement
 * counts as their acknowledgement when they are a member, so nobody acks their own news.
 */
import { KithError } from '../../errors.ts';
import type { Pattern } from './pattern.ts';
import { body, noParams, Text } from './shared.ts';

export const announcement: Pattern = {
  name: 'announcement',
  kinds: {
    announce: { who: 'creator', body: body({ text: Text }) },
  },
  ballotKinds: ['ack'],
  recordedBallotKinds: [],
  validateParams: noParams,
  checkVote(_ballot, ctx) {
    if (!ctx.precededBy('announce'))
      throw new KithError('CONVERSATION_OUT_OF_TURN', 'There is no announcement to acknowledge yet.');
  },
  impliedBallot: (event) => (event.kind === 'announce' ? { kind: 'ack' } : null),
};
