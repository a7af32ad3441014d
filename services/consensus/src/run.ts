/**
 * `kith consensus`: the worker as its own process (the compose `consensus` service), talking to
 * the running agent of a data dir over its local API only. It waits for the agent when the
 * agent is not up yet, and follows it across restarts. Runs until SIGTERM/SIGINT.
 */
import { type AgentEndpoint, locateAgent } from '@kith/api/locate-agent';
import { httpAgent } from './http-agent.ts';
import type { WorkerTiming } from './timing.ts';
import { ConsensusWorker, type WorkerLogger } from './worker.ts';

export interface RunConsensusOptions {
  dataDir: string;
  logger: WorkerLogger & { child(bindings: Record<string, unknown>): WorkerLogger };
  /** From the config (timingFromConfig); defaults for what is not given. */
  timing?: Partial<WorkerTiming>;
  /** Where the agent is (default: DATA/api.json and DATA/api-token, read again on failures). */
  locate?: () => Promise<AgentEndpoint>;
  /** Stop cleanly on SIGTERM/SIGINT (default true). */
  handleSignals?: boolean;
}

export interface RunningConsensus {
  readonly worker: ConsensusWorker;
  stop(): Promise<void>;
  /** Settles once stopped. */
  readonly closed: Promise<void>;
}

export async function runConsensus(options: RunConsensusOptions): Promise<RunningConsensus> {
  const logger = options.logger.child({ part: 'consensus' });
  const worker = new ConsensusWorker({
    agent: httpAgent({ locate: options.locate ?? (() => locateAgent(options.dataDir)), logger }),
    timing: options.timing ?? {},
    logger,
  });
  let finish: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping');
    void stop();
  };
  const stop = () => {
    stopping ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await worker.stop();
      finish();
    })();
    return stopping;
  };
  if (options.handleSignals !== false) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  await worker.start();
  return { worker, stop, closed };
}
