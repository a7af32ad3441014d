/** The consensus worker (DESIGN §3, §8; docs/CONSENSUS.md "The consensus worker"). */
export type {
  AgentChange,
  ConsensusAgent,
  ConversationEvaluation,
  OpenConversation,
  RecordedOutcome,
} from './agent-port.ts';
export { type AgentEndpoint, httpAgent, locateAgent } from './http-agent.ts';
export { consensusExtension } from './in-process.ts';
export { changeOf, localAgent } from './local-agent.ts';
export { type RunConsensusOptions, type RunningConsensus, runConsensus } from './run.ts';
export {
  DEFAULT_WORKER_TIMING,
  realTimers,
  type Timers,
  timingFromEnv,
  type WorkerTiming,
} from './timing.ts';
export { ConsensusWorker, type ConsensusWorkerOptions, type WorkerLogger } from './worker.ts';
