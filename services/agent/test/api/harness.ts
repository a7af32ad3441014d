import { randomBytes } from 'node:crypto';
import type { ApiPlugin } from '../../src/api/context.ts';
import { type Agent, buildAgent } from '../../src/app.ts';
import type { AgentService } from '../../src/components.ts';
import { type AgentConfig, parseConfig } from '../../src/config.ts';
import type { KithDatabase } from '@kith/db/database';
import { createLogger, type Logger } from '../../src/logger.ts';

/** Config for a test agent: ephemeral ports on 127.0.0.1, quiet logs. */
export function testConfig(dataDir: string, env: Record<string, string> = {}): AgentConfig {
  return parseConfig({
    env: {
      KITH_DATA: dataDir,
      KITH_HOST: '127.0.0.1',
      KITH_PEER_PORT: '0',
      KITH_API_PORT: '0',
      KITH_WEB_PORT: '0',
      KITH_LOG_LEVEL: 'silent',
      ...env,
    },
  });
}

export interface TestAgentOptions {
  dataDir: string;
  database: KithDatabase;
  plugins?: ApiPlugin[];
  services?: AgentService[];
  logger?: Logger;
  now?: () => number;
}

export function buildTestAgent(options: TestAgentOptions): Promise<Agent> {
  return buildAgent({
    config: testConfig(options.dataDir),
    components: {
      db: options.database,
      logger: options.logger ?? createLogger({ level: 'silent' }),
      clock: options.now ?? (() => 1_700_000_000_000),
      random: (n) => new Uint8Array(randomBytes(n)),
    },
    plugins: options.plugins,
    services: options.services,
  });
}
