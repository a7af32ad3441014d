/**
 * Size limits of a conversation (docs/CONSENSUS.md "Conversations and patterns"). They bound the
 * work every member does to re-evaluate a conversation; the tally has its own (TALLY_LIMITS).
 */
import { TALLY_LIMITS } from '../consensus/index.ts';

export const CONVERSATION_LIMITS = {
  /** Events per conversation (the genesis not counted): a tally counts at most this many ballots. */
  maxEvents: TALLY_LIMITS.maxBallots,
  /** Members at any time. */
  maxMembers: TALLY_LIMITS.maxMembers,
  maxOptions: TALLY_LIMITS.maxOptions,
  /** Parents per event: a merge of more concurrent branches is split over several events. */
  maxParents: 32,
  /** Topic, in UTF-16 code units. */
  maxTopicLength: 200,
  /** Any free text of an event (post, argument, details…), in UTF-16 code units. */
  maxTextLength: 4000,
  /** A reaction (an emoji or a short word). */
  maxReactionLength: 32,
  /** Encoded sizes. */
  maxGenesisBytes: 64 * 1024,
  maxEventBytes: 32 * 1024,
  maxOutcomeBytes: 8 * 1024,
} as const;
