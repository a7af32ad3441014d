/**
 * What the consensus worker needs from the agent (docs/ARCHITECTURE.md "Ports"): the open
 * conversations, whether one is done now, and "record the outcome" — evaluation and signing
 * happen in the agent, where the events and the device keys are. The shapes are the local
 * API's (@kith/api). Two implementations: over the local API (http-agent.ts: `kith consensus`,
 * its own process or container) and in process (`kith up`, wired in the CLI where the node is
 * assembled). The worker imports nothing from the agent.
 */
import type { ResponseOf } from '@kith/api';

export interface OpenConversation {
  id: string;
  /** ISO date-time or null. */
  deadline: string | null;
  /** This device signed the genesis: its worker records first (see worker.ts). */
  createdHere: boolean;
}

export type ConversationEvaluation = ResponseOf<'evaluation'>;

/** `recorded` is false when another worker (or a member's outcome) closed it first. */
export type RecordedOutcome = ResponseOf<'recordOutcome'>;

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

/** Maps an agent event (`conversation.*`, see docs/API.md) to a change the worker acts on. */
export function changeOf(type: string, data: Record<string, unknown>): AgentChange | null {
  if (type === 'stream.ready') return { type: 'resync' };
  if (!type.startsWith('conversation.') || typeof data.id !== 'string') return null;
  return type === 'conversation.closed' ? { type: 'closed', id: data.id } : { type: 'changed', id: data.id };
}
