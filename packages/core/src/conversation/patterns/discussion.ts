/**
 * Discussion (docs/DESIGN.md §8 "discussion: threaded replies"): anyone taking part posts, replies to a
 * post or a reply (a thread), and reacts. A member marks the discussion done for them with an
 * `ack` vote, so "all-acknowledged", "consent" and "lazy-consensus" (or a deadline rule) end it.
 */
import { Type } from '@sinclair/typebox';
import { CONVERSATION_LIMITS } from '../limits.ts';
import type { Pattern } from './pattern.ts';
import { body, EventRef, noParams, Text } from './shared.ts';

const THREAD = ['post', 'reply'] as const;

export const discussion: Pattern = {
  name: 'discussion',
  kinds: {
    post: { who: 'participant', body: body({ text: Text }) },
    reply: {
      who: 'participant',
      body: body({ target: EventRef, text: Text }),
      check: (b, ctx) => void ctx.target(b.target as string, THREAD),
    },
    reaction: {
      who: 'participant',
      body: body({
        target: EventRef,
        reaction: Type.String({ minLength: 1, maxLength: CONVERSATION_LIMITS.maxReactionLength }),
      }),
      check: (b, ctx) => void ctx.target(b.target as string, THREAD),
    },
  },
  ballotKinds: ['ack'],
  recordedBallotKinds: [],
  validateParams: noParams,
};
