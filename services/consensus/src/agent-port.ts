/**
 * What the consensus worker needs from the agent (DESIGN §3, §8): the open conversations, whether
 * one is done now, and "record the outcome" — evaluation and signing happen in the agent, where
 * the events and the device keys are. Two adapters: in-process (`kith up`, local-agent.ts) and
 * over the local API (`kith consensus`, http-agent.ts).
 */
import type { MethodResult } from '@kith/core/consensus/index';

export interface OpenConversation {
  id: string;
  /** ISO date-time or null. */
  deadline: string | null;
  /** This device signed the genesis: its worker records first (see worker.ts). */
  createdHere: boolean;
}

export interface ConversationEvaluation extends OpenConversation {
  status: 'open' | 'closed';
  done: boolean;
  result: MethodResult;
}

export interface RecordedOutcome {
  /** False when another worker (or a member's outcome) closed it first. */
  recorded: boolean;
  outcome: { id: string; result: MethodResult; evaluatedAt: string; heads: string[] };
}

/** A change the agent reports: a conversation created, changed or closed, or "resync all". */
export type AgentChange =
  | { type: 'changed'; id: string }
  | { type: 'closed'; id: string }
  /** The stream (re)connected: anything may have happened meanwhile. */
  | { type: 'resync' };

export interface ConsensusAgent {
  listOpen(): Promise<OpenConversation[]>;
  /** Throws KithError CONVERSATION_UNKNOWN when the conversation is not (or no longer) there. */
  evaluation(id: string): Promise<ConversationEvaluation>;
  /** Throws KithError CONVERSATION_NOT_DONE when the method is not done now. */
  record(id: string): Promise<RecordedOutcome>;
  /** Calls back on changes; returns the function that stops listening. */
  subscribe(listener: (change: AgentChange) => void): () => void;
}
