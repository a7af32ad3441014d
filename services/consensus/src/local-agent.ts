/**
 * The consensus worker's agent, in the same process (`kith up`): the conversation service
 * itself and the agent's event bus.
 */
import type { ConversationService } from '@kith/agent/conversations/service';
import type { EventBus } from '@kith/agent/event-bus';
import type { AgentChange, ConsensusAgent } from './agent-port.ts';

/** Maps an agent event (`conversation.*`, see docs/API.md) to a change the worker acts on. */
export function changeOf(type: string, data: Record<string, unknown>): AgentChange | null {
  if (type === 'stream.ready') return { type: 'resync' };
  if (!type.startsWith('conversation.') || typeof data.id !== 'string') return null;
  return type === 'conversation.closed' ? { type: 'closed', id: data.id } : { type: 'changed', id: data.id };
}

export function localAgent(service: ConversationService, events: EventBus): ConsensusAgent {
  return {
    async listOpen() {
      return (await service.list('open')).map((c) => ({
        id: c.id,
        deadline: c.deadline,
        createdHere: c.createdHere,
      }));
    },
    evaluation: (id) => service.evaluation(id),
    record: (id) => service.recordOutcome(id),
    subscribe(listener) {
      return events.subscribe((e) => {
        const change = changeOf(e.type, e.data);
        if (change) listener(change);
      });
    },
  };
}
