/** Every consensus method by its kebab-case name (docs/DESIGN.md §8, docs/CONSENSUS.md). */
import { allAcknowledged } from './acknowledged.ts';
import { apacheRelease } from './apache.ts';
import { consent, lazyConsensus } from './consent.ts';
import { celMethod } from './custom.ts';
import { rsvpThreshold } from './rsvp.ts';
import { approval, borda, dotVote, irv, plurality, schulze, score } from './winner.ts';
import { absoluteMajority, majority, quorumMajority, supermajority, unanimity } from './yes-no.ts';

export const METHODS = {
  unanimity,
  majority,
  'absolute-majority': absoluteMajority,
  supermajority,
  'quorum-majority': quorumMajority,
  consent,
  'lazy-consensus': lazyConsensus,
  plurality,
  approval,
  score,
  'dot-vote': dotVote,
  irv,
  schulze,
  borda,
  'rsvp-threshold': rsvpThreshold,
  'all-acknowledged': allAcknowledged,
  'apache-release': apacheRelease,
  cel: celMethod,
} as const;

export type MethodName = keyof typeof METHODS;
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(METHODS, name);
}
