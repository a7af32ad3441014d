import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { RandomSource } from '@kith/core/crypto/index';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Clock } from '../components.ts';
import type { AgentConfig } from '../config.ts';
import type { KithDatabase } from '@kith/db/database';
import type { EventBus } from '../event-bus.ts';
import type { Logger } from '../logger.ts';

/** What route plugins reach through `fastify.kith`. */
export interface AgentContext {
  readonly config: AgentConfig;
  readonly db: KithDatabase;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly events: EventBus;
  readonly version: string;
  /** Present on a node with device keys: whether they are closed (reported by /api/health). */
  readonly lockState?: { readonly locked: boolean };
}

declare module 'fastify' {
  interface FastifyInstance {
    kith: AgentContext;
  }
  interface FastifyContextConfig {
    /** Reachable without the API token (only /api/health and the docs). */
    public?: boolean;
    /** Also accept the token as `?token=` (WebSocket routes: browsers cannot set headers there). */
    tokenInQuery?: boolean;
  }
}

export type ApiServer = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * A group of routes. Registered under the `/api` prefix, behind the bearer token unless a
 * route sets `config: { public: true }`; request schemas are typebox and validated.
 * Identity, friends, peers and invites routes plug in here (see docs/API.md).
 */
export type ApiPlugin = FastifyPluginAsyncTypebox;
