/** The consensus worker (docs/CONSENSUS.md "The consensus worker"); it imports nothing from the agent. */
export {
  type AgentChange,
  type ConsensusAgent,
  type ConversationEvaluation,
  changeOf,
  type OpenConversation,
  type RecordedOutcome,
} from './agent-port.ts';
export { type AgentEndpoint, httpAgent } from './http-agent.ts';
export { type RunConsensusOptions, type RunningConsensus, runConsensus } from './run.ts';
export {
  DEFAULT_WORKER_TIMING,
  realTimers,
  type Timers,
  timingFromConfig,
  type WorkerTiming,
} from './timing.ts';
export { ConsensusWorker, type ConsensusWorkerOptions, type WorkerLogger } from './worker.ts';
