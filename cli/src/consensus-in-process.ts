/**
 * The consensus worker in the agent's process (`kith up`), wired here where the node is
 * assembled: the in-process implementation of the worker's agent port (the conversation
 * service and the event bus themselves), handed to runNode's `extend` hook. `kith consensus`
 * uses the HTTP implementation instead (services/consensus/src/http-agent.ts).
 */
import type { ConversationService } from '@kith/agent/conversations/service';
import type { EventBus } from '@kith/agent/event-bus';
import type { RunNodeOptions } from '@kith/agent/node';
import { type ConsensusAgent, changeOf } from '@kith/consensus/agent-port';
import { timingFromConfig, type WorkerTiming } from '@kith/consensus/timing';
import { ConsensusWorker } from '@kith/consensus/worker';

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

export function consensusExtension(
  timing: Partial<WorkerTiming> = {},
): NonNullable<RunNodeOptions['extend']> {
  return async ({ conversations, events, components, config }) => {
    const worker = new ConsensusWorker({
      agent: localAgent(conversations, events),
      clock: components.clock,
      timing: { ...timingFromConfig(config), ...timing },
      logger: components.logger.child({ part: 'consensus' }),
    });
    return { services: [worker] };
  };
}
