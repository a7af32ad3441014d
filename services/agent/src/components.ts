import type { RandomSource } from '@kith/core/crypto/index';
import type { KithDatabase } from '@kith/db/database';
import type { Logger } from './logger.ts';

import type { Clock } from '@kith/core/time';

export type { Clock } from '@kith/core/time';

/** What a service receives instead of reaching for globals (docs/DESIGN.md §3). */
export interface AgentComponents {
  db: KithDatabase;
  logger: Logger;
  clock: Clock;
  random: RandomSource;
}

/** Something with a lifetime inside the agent (peer listener, heartbeats, relay, ...). */
export interface AgentService {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
