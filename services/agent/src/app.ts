import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { KithError } from '@kith/core/errors';
import type { AgentContext, ApiPlugin, ApiServer } from './api/context.ts';
import { createApiServer } from './api/server.ts';
import { API_TOKEN_FILE, loadOrCreateApiToken } from './api/token.ts';
import type { AgentComponents, AgentService } from './components.ts';
import type { AgentConfig } from './config.ts';
import { EventBus } from './event-bus.ts';
// Inlined by the build (dist/ has no package.json beside it).
import rootPackage from '../../../package.json' with { type: 'json' };
import { webSessionRoutes } from './api/routes/web-sessions.ts';
import { WebSessions } from './web/web-sessions.ts';

/** Written at start, removed at stop: how `kith` commands find the running agent's API. */
export const API_INFO_FILE = 'api.json';

export interface ApiInfo {
  url: string;
  pid: number;
}

export interface BuildAgentOptions {
  config: AgentConfig;
  components: AgentComponents;
  /** Route groups mounted under /api (identity, friends, peers, invites, ...). */
  plugins?: readonly ApiPlugin[];
  /** Started in order before the API listens, stopped in reverse after it closes. */
  services?: readonly AgentService[];
  /** Reported by /api/health; the root package.json version by default. */
  version?: string;
  /** The event bus, when services built before the agent publish to it. */
  events?: EventBus;
  /** Whether the device keys are closed (a node only; docs/SECURITY.md "Locked relay mode"). */
  lockState?: { readonly locked: boolean };
}

export interface Agent {
  readonly config: AgentConfig;
  readonly components: AgentComponents;
  readonly context: AgentContext;
  readonly events: EventBus;
  /** The local API, not listening until `start()`; `api.inject()` works before that. */
  readonly api: ApiServer;
  /** Bearer token of the local API (also in DATA/api-token). */
  readonly apiToken: string;
  /** `http://host:port` once started. */
  readonly apiUrl: string | undefined;
  start(): Promise<void>;
  /** Closes the API (and its WebSockets) and stops the services. The database stays open: its opener closes it. */
  stop(): Promise<void>;
}

export const AGENT_VERSION: string = rootPackage.version;

/**
 * Assembles the agent from its configuration and injected components (docs/DESIGN.md §3): the event
 * bus, the API token (DATA/api-token, made on first use) and the local API with its routes.
 * The database must be open and migrated already.
 */
export async function buildAgent(options: BuildAgentOptions): Promise<Agent> {
  const { config, components } = options;
  const services = [...(options.services ?? [])];
  const logger = components.logger;
  const events = options.events ?? new EventBus({ clock: components.clock, logger });
  const context: AgentContext = {
    config,
    db: components.db,
    logger,
    clock: components.clock,
    random: components.random,
    events,
    version: options.version ?? AGENT_VERSION,
    ...(options.lockState ? { lockState: options.lockState } : {}),
  };
  const apiToken = await loadOrCreateApiToken(config.dataDir, components.random, logger);
  // Web UI codes and sessions live in the agent (docs/SECURITY.md "Web UI").
  const webSessions = new WebSessions(config.dataDir, components.clock, components.random);
  await webSessions.load();
  const api = createApiServer(context, apiToken, [webSessionRoutes(webSessions), ...(options.plugins ?? [])]);
  const infoPath = join(config.dataDir, API_INFO_FILE);

  let apiUrl: string | undefined;
  let started: AgentService[] = [];
  let state: 'built' | 'starting' | 'running' | 'stopping' | 'stopped' = 'built';

  async function stopServices(): Promise<void> {
    for (const service of started.reverse()) {
      try {
        await service.stop();
      } catch (err) {
        logger.error({ err, service: service.name }, 'a service failed to stop');
      }
    }
    started = [];
  }

  const agent: Agent = {
    config,
    components,
    context,
    events,
    api,
    apiToken,
    get apiUrl() {
      return apiUrl;
    },
    async start() {
      if (state !== 'built') throw new KithError('INTERNAL', `The agent cannot start: it is ${state}.`);
      state = 'starting';
      try {
        for (const service of services) {
          await service.start();
          started.push(service);
        }
        await listen(api, config.apiHost, config.apiPort);
        const address = api.server.address() as AddressInfo;
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        apiUrl = `http://${host}:${address.port}`;
        await writeApiInfo(infoPath, { url: apiUrl, pid: process.pid });
        if (config.apiShareDir !== undefined) {
          await shareApi(
            config.apiShareDir,
            { url: config.apiShareUrl ?? apiUrl, pid: process.pid },
            apiToken,
          );
        }
      } catch (err) {
        await api.close().catch(() => {});
        await stopServices();
        state = 'stopped';
        throw err;
      }
      state = 'running';
      const { kind, thread } = components.db;
      logger.info(
        { api: apiUrl, database: kind, ...(thread ? { pgliteThread: thread } : {}) },
        'agent started',
      );
      events.publish('agent.started', { api: apiUrl });
    },
    async stop() {
      if (state === 'stopped' || state === 'stopping') return;
      state = 'stopping';
      events.publish('agent.stopping');
      await api.close();
      await rm(infoPath, { force: true });
      if (config.apiShareDir !== undefined)
        await rm(join(config.apiShareDir, API_INFO_FILE), { force: true });
      await stopServices();
      apiUrl = undefined;
      state = 'stopped';
      logger.info('agent stopped');
    },
  };
  return agent;
}

async function listen(api: ApiServer, host: string, port: number): Promise<void> {
  try {
    await api.listen({ host, port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new KithError('ADDRESS_IN_USE', `The local API could not listen on ${host}:${port}.`, {
        cause: err,
      });
    }
    if (code === 'EADDRNOTAVAIL') {
      throw new KithError('CONFIG_INVALID', `${host} is not an address of this machine (KITH_API_HOST).`, {
        cause: err,
      });
    }
    throw err;
  }
}

/** Atomic (write then rename), 0600: the file names the API; the token stays in api-token. */
async function writeApiInfo(path: string, info: ApiInfo): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

/**
 * The API's URL and token for the containers that use it (compose: a volume only the agent,
 * consensus and web mount), in the layout a data dir has, so they find the agent as `kith`
 * commands do (docs/ARCHITECTURE.md "The appliance").
 */
async function shareApi(dir: string, info: ApiInfo, token: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tokenPath = join(dir, API_TOKEN_FILE);
  const tmp = `${tokenPath}.${process.pid}.tmp`;
  await writeFile(tmp, `${token}\n`, { mode: 0o600 });
  await rename(tmp, tokenPath);
  await writeApiInfo(join(dir, API_INFO_FILE), info);
}
