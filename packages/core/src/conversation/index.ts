/**
 * Conversations and message patterns (docs/DESIGN.md §8; docs/CONSENSUS.md "Conversations and
 * patterns"): signed genesis, signed events in a hash-linked DAG, pattern and membership rules,
 * evaluation through the consensus module, and signed outcomes any member can verify.
 */
export {
  Conversation,
  type ApplyOutcomeResult,
  type ConversationOptions,
  type ReceiveResult,
  type Signer,
} from './conversation.ts';
export { type AddAllResult, addAll, ConversationDag } from './dag.ts';
export {
  ballotOf,
  canonicalJson,
  type Evaluation,
  evaluate,
  evaluateDag,
  type SkippedBallot,
  tallyDigest,
} from './evaluate.ts';
export { type ConversationEvent, type EventDraft, EventFormat, openEvent, signEvent } from './event.ts';
export {
  consensusFromRule,
  createGenesis,
  type Genesis,
  type GenesisFields,
  GenesisFormat,
  type GenesisInput,
  type IsDeviceOf,
  type MembershipRule,
  openGenesis,
} from './genesis.ts';
export {
  compareHex,
  type ConversationId,
  conversationIdOf,
  type EventId,
  eventIdOf,
  outcomeIdOf,
} from './ids.ts';
export { CONVERSATION_LIMITS } from './limits.ts';
export { MEMBERSHIP_KINDS, type MembershipKind } from './membership.ts';
export {
  createOutcome,
  DEFAULT_MAX_CLOCK_SKEW_MS,
  type DisagreeReason,
  MAX_OUTCOME_HEADS,
  OutcomeFormat,
  type OutcomeRecord,
  type OutcomeVerdict,
  openOutcome,
  type VerifyOutcomeOptions,
  verifyOutcome,
} from './outcome.ts';
export type { EventContext, KindRule, Pattern, PatternParams, Who } from './patterns/pattern.ts';
export {
  isPatternName,
  PATTERN_NAMES,
  type PatternName,
  PATTERNS,
  patternByName,
  TEXT_KIND,
} from './patterns/registry.ts';
export { ruleFor, VOTE_KIND } from './rules.ts';
