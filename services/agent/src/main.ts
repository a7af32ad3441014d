import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setDefaultBackend } from '@kith/core/crypto/index';
import { nativeBackend } from '@kith/core/crypto/native';
import { KithError, isKithError } from '@kith/core/errors';
import { type Agent, buildAgent } from './app.ts';
import type { ApiPlugin } from './api/context.ts';
import type { AgentComponents, AgentService } from './components.ts';
import { EventBus } from './event-bus.ts';
import { type AgentConfig, type ConfigFlags, parseConfig } from './config.ts';
import { type KithDatabase, openDatabase } from '@kith/db/database';
import { createLogger, type Logger } from './logger.ts';

export interface RunAgentOptions {
  env?: Record<string, string | undefined>;
  flags?: ConfigFlags;
  cwd?: string;
  plugins?: readonly ApiPlugin[];
  services?: readonly AgentService[];
  /** Stop cleanly on SIGTERM/SIGINT (default true). */
  handleSignals?: boolean;
  /**
   * Builds the parts that need the open database and the event bus (the peer node, the
   * consensus worker, …) once migrations ran; their services and routes join the agent.
   */
  setup?: (context: AgentSetupContext) => Promise<{
    plugins?: ApiPlugin[];
    services?: AgentService[];
    lockState?: { readonly locked: boolean };
  }>;
  logger?: Logger;
  /**
   * The database, already opening (`kith up` opens it first thing, so PGlite boots while the
   * modules load); it must be the one the config names. Owned from here on: closed on a failed
   * start and at shutdown. Default: opened here, from the config.
   */
  database?: Promise<KithDatabase>;
  /**
   * Setup mode (docs/DESIGN.md "Setup mode"): called once migrations ran. When it returns a
   * prelude, an agent with only its routes (plus health, events and web sign-in) listens until
   * `done` settles; then it stops and `setup` builds the full agent in its place, on the same
   * API port and token, in this process. A signal meanwhile cancels it (SETUP_STOPPED).
   */
  prelude?: (context: AgentSetupContext) => Promise<AgentPrelude | undefined>;
  /** The prelude's agent listens (`kith up` starts its web part and prints a sign-in code here). */
  onPrelude?: (agent: Agent) => Promise<void>;
}

export interface AgentPrelude {
  plugins: ApiPlugin[];
  done: Promise<unknown>;
  cancel(): void;
}

export interface AgentSetupContext {
  config: AgentConfig;
  components: AgentComponents;
  events: EventBus;
}

export interface RunningAgent {
  readonly agent: Agent;
  readonly config: AgentConfig;
  readonly database: KithDatabase;
  readonly logger: Logger;
  /** Stops the agent, closes the database and releases the data-dir lock. Idempotent. */
  shutdown(): Promise<void>;
  /** Settles when `shutdown()` (or a signal) has finished. */
  readonly closed: Promise<void>;
}

/**
 * Boots an agent (docs/DESIGN.md §12, `kith agent`): config from env and flags, database (PGlite
 * under its lock, or Postgres), migrations under the advisory lock, the agent, its API.
 */
export async function runAgent(options: RunAgentOptions = {}): Promise<RunningAgent> {
  // Services pick the native crypto path at boot (core itself never probes its environment).
  setDefaultBackend(nativeBackend);
  const baseConfig = parseConfig({ env: options.env, flags: options.flags, cwd: options.cwd });
  const logger = options.logger ?? createLogger({ level: baseConfig.logLevel });

  // Signals are watched from here on, so one that arrives while booting is not lost: the
  // agent then stops as soon as it has started. A second signal exits at once.
  let signalled = false;
  let running: RunningAgent | undefined;
  let prelude: AgentPrelude | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    signalled = true;
    logger.info({ signal }, 'stopping');
    if (running) void running.shutdown();
    else prelude?.cancel();
  };
  const unwatchSignals = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  if (options.handleSignals !== false) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  let database: KithDatabase;
  try {
    database = await (options.database ??
      openDatabase({
        databaseUrl: baseConfig.databaseUrl,
        dataDir: baseConfig.dataDir,
        pgliteThread: baseConfig.pgliteWorker ? 'worker' : 'main',
      }));
  } catch (err) {
    unwatchSignals();
    throw err;
  }
  let agent: Agent;
  let config = baseConfig;
  try {
    await database.migrate({ logger });
    const components: AgentComponents = {
      db: database,
      logger,
      clock: Date.now,
      random: (n) => new Uint8Array(randomBytes(n)),
    };
    const events = new EventBus({ clock: components.clock, logger });
    prelude = options.prelude ? await options.prelude({ config, components, events }) : undefined;
    if (prelude) {
      if (signalled) prelude.cancel();
      const waiting = await buildAgent({ config, components, events, plugins: prelude.plugins });
      await waiting.start();
      try {
        // The full agent answers where this one did, so the web part's link stays valid.
        const port = Number(new URL(waiting.apiUrl!).port);
        if (config.apiPort === 0) config = { ...config, apiPort: port };
        logger.info({ api: waiting.apiUrl }, 'setup mode: waiting for the owner in the web UI');
        await options.onPrelude?.(waiting);
        await prelude.done;
      } finally {
        await waiting.stop();
      }
      logger.info('setup mode: an identity is in place; starting the node');
    }
    const extra = options.setup ? await options.setup({ config, components, events }) : {};
    agent = await buildAgent({
      config,
      components,
      events,
      plugins: [...(options.plugins ?? []), ...(extra.plugins ?? [])],
      services: [...(options.services ?? []), ...(extra.services ?? [])],
      ...(extra.lockState ? { lockState: extra.lockState } : {}),
    });
    await agent.start();
  } catch (err) {
    await database.close();
    unwatchSignals();
    throw err;
  }

  let finish: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let shutting: Promise<void> | undefined;
  running = {
    agent,
    config,
    database,
    logger,
    closed,
    shutdown() {
      shutting ??= (async () => {
        try {
          await agent.stop();
        } finally {
          await database.close();
          unwatchSignals();
          finish();
        }
      })();
      return shutting;
    },
  };
  if (signalled) void running.shutdown();
  return running;
}

/** `--kebab-case` flags of the agent; values are checked by the config schema. */
const FLAG_OPTIONS = {
  data: { type: 'string' },
  host: { type: 'string' },
  'api-host': { type: 'string' },
  'peer-port': { type: 'string' },
  'api-port': { type: 'string' },
  'web-port': { type: 'string' },
  'heartbeat-mean-ms': { type: 'string' },
  'log-level': { type: 'string' },
  relay: { type: 'string' },
  'passphrase-file': { type: 'string' },
  setup: { type: 'string' },
} as const;

/** Parses agent flags (`--peer-port 7470`) into ConfigFlags; unknown flags are a USAGE error. */
export function parseAgentArgs(argv: readonly string[]): ConfigFlags {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: FLAG_OPTIONS,
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (cause) {
    throw new KithError('USAGE', cause instanceof Error ? cause.message : String(cause), { cause });
  }
  const flags: ConfigFlags = {};
  for (const [name, value] of Object.entries(values)) {
    const camel = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof ConfigFlags;
    flags[camel] = value;
  }
  return flags;
}

/** Runs the agent until SIGTERM/SIGINT. Returns the exit code: 0 clean stop, 1 failure, 2 usage. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  try {
    const running = await runAgent({ flags: parseAgentArgs(argv) });
    await running.closed;
    return 0;
  } catch (err) {
    const code = isKithError(err) ? err.code : 'INTERNAL';
    const message = isKithError(err) ? err.message : new KithError('INTERNAL').message;
    process.stderr.write(`error ${code}: ${message}\n`);
    if (!isKithError(err)) process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    return code === 'USAGE' || code === 'CONFIG_INVALID' ? 2 : 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exit(await main());
}
