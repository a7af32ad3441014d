/**
 * `kith up` runs the consensus worker in the agent's process (DESIGN §3), through runNode's
 * `extend` hook: it talks to the conversation service directly.
 */
import type { RunNodeOptions } from '@kith/agent/node';
import { localAgent } from './local-agent.ts';
import { timingFromEnv, type WorkerTiming } from './timing.ts';
import { ConsensusWorker } from './worker.ts';

export function consensusExtension(
  timing: Partial<WorkerTiming> = {},
): NonNullable<RunNodeOptions['extend']> {
  return async ({ conversations, events, components }) => {
    const worker = new ConsensusWorker({
      agent: localAgent(conversations, events),
      clock: components.clock,
      timing: { ...timingFromEnv(), ...timing },
      logger: components.logger.child({ part: 'consensus' }),
    });
    return { services: [worker] };
  };
}
