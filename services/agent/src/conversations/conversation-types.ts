/** What the conversation service takes and answers (service.ts). */
import type { CanonicalValue } from '@kith/core/codec';
import type { MembershipRule } from '@kith/core/conversation/index';
import type { MethodResult } from '@kith/core/consensus/index';
import type { RandomSource } from '@kith/core/crypto/index';
import type { SigningKeyPair } from '@kith/core/identity/derive';
import type { KithDb } from '@kith/db/database';
import type { Clock } from '../components.ts';
import type { EventBus } from '../event-bus.ts';
import type { Logger } from '../logger.ts';
import type { DeviceDirectory } from './device-directory.ts';
import type { ConversationStatus, StorageKeySource } from './store.ts';
import type { ConversationSync } from './sync.ts';
import type { OutcomeView } from './view.ts';

export interface ConversationServiceOptions {
  db: KithDb;
  /** This device's user. */
  userId: string;
  /** This device's signing key pair (signs genesis, events, outcomes). */
  device: SigningKeyPair;
  /** 32-byte key sealing everything at rest. */
  storageKey: StorageKeySource;
  directory: DeviceDirectory;
  sync: ConversationSync;
  events: EventBus;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  /** Conversations kept in memory (least recently used are dropped; they reload from the store). */
  cacheSize?: number;
  /**
   * After a failed hand-over to messaging, how long until the unshipped items are tried again
   * while running (default 60 s); they are also tried at every start.
   */
  reshipAfterMs?: number;
}

export interface CreateConversationInput {
  topic: string;
  pattern: string;
  patternParams?: Record<string, CanonicalValue>;
  /** A built-in method (docs/CONSENSUS.md) with its params; or `rule`. */
  method?: string;
  /** Method params; with `rule`, extra params of the `cel` method (`winner`, `passed`, `accepts`, `rules`). */
  params?: Record<string, CanonicalValue>;
  /** A custom CEL rule: the conversation is done when it is true. */
  rule?: string;
  options?: string[];
  /** User ids: this user or friends. */
  members: string[];
  /** ms since the epoch. */
  deadline?: number | null;
  membership?: MembershipRule;
}

/** What became of a received item. */
export type ReceiveReport =
  | { status: 'added' | 'duplicate' | 'pending' | 'closed' | 'conflict'; conversation: string }
  | { status: 'disagree'; conversation: string; reason: string }
  | { status: 'ignored' | 'refused'; conversation: string | null; code?: string };

/** What the consensus worker needs to decide whether to record. */
export interface EvaluationView {
  id: string;
  status: ConversationStatus;
  done: boolean;
  result: MethodResult;
  deadline: string | null;
  createdHere: boolean;
  heads: string[];
  events: number;
}

export interface RecordResult {
  /** False when the conversation was already closed (by this device or another). */
  recorded: boolean;
  outcome: OutcomeView;
}
