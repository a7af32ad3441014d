/**
 * @kith/api: the local API's schemas (routes.ts, schemas/) and a typed client (client.ts,
 * events.ts). Loads in a browser; finding an agent by its data directory is Node-only and
 * lives in `@kith/api/locate-agent`.
 */
export {
  API_PREFIX,
  type ApiCalls,
  type ApiClient,
  type ApiClientOptions,
  createApiClient,
  errorOf,
  type JsonTransport,
} from './client.ts';
export {
  type AgentEvent,
  type EventSubscription,
  type EventSubscriptionOptions,
  subscribeEvents,
  type WebSocketFactory,
  type WebSocketLike,
} from './events.ts';
export { type HttpMethod, ROUTES, type RouteName, type Routes, type RouteSpec } from './routes.ts';
export type { BodyOf, ParamsOf, QueryOf, RequestOf, ResponseOf } from './types.ts';
