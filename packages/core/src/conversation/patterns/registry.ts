/** Every message pattern by its name (docs/DESIGN.md §8, docs/CONSENSUS.md "Conversations and patterns"). */
import { KithError } from '../../errors.ts';
import { announcement } from './announcement.ts';
import { debate } from './debate.ts';
import { discussion } from './discussion.ts';
import { invitation } from './invitation.ts';
import type { Pattern } from './pattern.ts';
import { proposal } from './proposal.ts';
import { senseCheck } from './sense-check.ts';
import { timePoll } from './time-poll.ts';

export const PATTERNS = {
  discussion,
  debate,
  announcement,
  invitation,
  proposal,
  'time-poll': timePoll,
  'sense-check': senseCheck,
} as const satisfies Record<string, Pattern>;

export type PatternName = keyof typeof PATTERNS;
export const PATTERN_NAMES = Object.keys(PATTERNS) as PatternName[];

export function isPatternName(name: unknown): name is PatternName {
  return typeof name === 'string' && Object.hasOwn(PATTERNS, name);
}

export function patternByName(name: unknown): Pattern {
  if (!isPatternName(name))
    throw new KithError('CONVERSATION_UNKNOWN_PATTERN', `Known patterns: ${PATTERN_NAMES.join(', ')}.`);
  return PATTERNS[name];
}

/**
 * The kind a plain text message (`kith post ID TEXT`) becomes in each pattern: body `{ text }`.
 * In an announcement and an invitation only the creator may post it.
 */
export const TEXT_KIND: Readonly<Record<PatternName, string>> = {
  discussion: 'post',
  debate: 'position',
  announcement: 'announce',
  invitation: 'details',
  proposal: 'comment',
  'time-poll': 'comment',
  'sense-check': 'comment',
};
