/**
 * A typed client of the agent's local API, for the CLI, the consensus worker and the web UI.
 * Fetch-based (Node and browsers): with a token it sends `Authorization: Bearer`; without one
 * (the web UI) the browser's cookies carry the session. Errors come back as the KithError the
 * agent answered with (its code and its exact sentence); no answer at all is AGENT_NOT_RUNNING.
 */
import { type ErrorCode, ERROR_CATALOGUE, KithError } from '@kith/core/errors';
import { ROUTE_PATHS } from './route-paths.ts';
import type { RouteName } from './routes.ts';
import type { RequestOf, ResponseOf } from './types.ts';

export const API_PREFIX = '/api';

export interface ApiClientOptions {
  /** The agent's address, e.g. `http://127.0.0.1:7471`; '' means this page's origin (browser). */
  baseUrl: string;
  /** The bearer token (DATA/api-token). Absent: no header; the browser's cookies are sent. */
  token?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Carries the JSON calls instead of `fetch` (Node: http-transport.ts); streams use `fetch`. */
  transport?: JsonTransport;
  /** Give up on a call after this long (default 60 s). */
  timeoutMs?: number;
}

/** One JSON call: the request as `fetch` would send it, the answer's status and text. */
export type JsonTransport = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string | undefined; timeoutMs: number },
) => Promise<{ status: number; text: string }>;

type HasRequired<T> = Record<never, never> extends T ? false : true;
/** Route N's call: its input is optional when the route takes nothing required. */
type RouteCall<N extends RouteName> = (
  ...args: HasRequired<RequestOf<N>> extends true ? [input: RequestOf<N>] : [input?: RequestOf<N>]
) => Promise<ResponseOf<N>>;

export type ApiCalls = { readonly [N in RouteName]: RouteCall<N> };

export interface ApiClient extends ApiCalls {
  readonly baseUrl: string;
  /** Calls route `name` (see routes.ts) with its parameters, query and body. */
  request<N extends RouteName>(name: N, input?: RequestOf<N>): Promise<ResponseOf<N>>;
  /** Calls a route whose answer is bytes (`backup`): the raw response of a 2xx, no time limit. */
  stream<N extends RouteName>(name: N, input?: RequestOf<N>): Promise<Response>;
  /**
   * Calls a route whose body is bytes (`setupRestore`): `data` as application/octet-stream with
   * `headers`, no time limit (a large file over a slow link); the JSON answer as `request` does.
   */
  upload<N extends RouteName>(
    name: N,
    data: Blob | Uint8Array,
    headers?: Record<string, string>,
  ): Promise<ResponseOf<N>>;
}

/** `/conversations/:id` with `{ id }` -> `/conversations/<id>`, each value URL-encoded. */
export function pathOf(path: string, params: Record<string, unknown> | undefined): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null)
      throw new KithError('INVALID_INPUT', `The path parameter ${name} is missing.`);
    return encodeURIComponent(String(value));
  });
}

function queryOf(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The KithError an error answer carries; unknown codes become INTERNAL, keeping the sentence. */
export function errorOf(json: unknown): KithError {
  const err = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code =
    typeof err?.code === 'string' && err.code in ERROR_CATALOGUE ? (err.code as ErrorCode) : 'INTERNAL';
  const e = new KithError(code);
  // Keep the agent's exact sentence (it may carry a detail).
  if (typeof err?.message === 'string') Object.defineProperty(e, 'message', { value: err.message });
  return e;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 60_000;

  function prepare(name: RouteName, input: unknown) {
    const spec = ROUTE_PATHS[name];
    const parts = (input ?? {}) as {
      params?: Record<string, unknown>;
      query?: Record<string, unknown>;
      body?: unknown;
    };
    const url = `${base}${API_PREFIX}${pathOf(spec.path, parts.params)}${queryOf(parts.query)}`;
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (parts.body !== undefined) headers['content-type'] = 'application/json';
    const body = parts.body === undefined ? undefined : JSON.stringify(parts.body);
    return { url, method: spec.method, headers, body };
  }

  async function send(name: RouteName, input: unknown, stream: boolean): Promise<Response> {
    const { url, ...init } = prepare(name, input);
    try {
      return await doFetch(url, { ...init, ...(stream ? {} : { signal: AbortSignal.timeout(timeoutMs) }) });
    } catch (cause) {
      throw new KithError('AGENT_NOT_RUNNING', undefined, { cause });
    }
  }

  /** The answer's status and text, through the transport when there is one. */
  async function answer(name: RouteName, input: unknown): Promise<{ status: number; text: string }> {
    if (!options.transport) {
      const response = await send(name, input, false);
      return { status: response.status, text: await response.text() };
    }
    const { url, ...init } = prepare(name, input);
    try {
      return await options.transport(url, { ...init, timeoutMs });
    } catch (cause) {
      throw new KithError('AGENT_NOT_RUNNING', undefined, { cause });
    }
  }

  async function request<N extends RouteName>(name: N, input?: RequestOf<N>): Promise<ResponseOf<N>> {
    const { status, text } = await answer(name, input);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new KithError('INTERNAL', `The agent answered ${status} with no JSON.`);
    }
    if (status < 200 || status > 299) throw errorOf(json);
    return json as ResponseOf<N>;
  }

  async function stream<N extends RouteName>(name: N, input?: RequestOf<N>): Promise<Response> {
    const response = await send(name, input, true);
    if (response.ok) return response;
    let json: unknown;
    try {
      json = JSON.parse(await response.text());
    } catch {
      throw new KithError('INTERNAL', `The agent answered ${response.status} with no JSON.`);
    }
    throw errorOf(json);
  }

  async function upload<N extends RouteName>(
    name: N,
    data: Blob | Uint8Array,
    extra: Record<string, string> = {},
  ): Promise<ResponseOf<N>> {
    const { url, method, headers } = prepare(name, undefined);
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers: { ...headers, ...extra, 'content-type': 'application/octet-stream' },
        body: data instanceof Uint8Array ? new Blob([new Uint8Array(data)]) : data,
      });
    } catch (cause) {
      throw new KithError('AGENT_NOT_RUNNING', undefined, { cause });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new KithError('INTERNAL', `The agent answered ${response.status} with no JSON.`);
    }
    if (!response.ok) throw errorOf(json);
    return json as ResponseOf<N>;
  }

  const calls = Object.fromEntries(
    (Object.keys(ROUTE_PATHS) as RouteName[]).map((name) => [
      name,
      (input?: RequestOf<typeof name>) => request(name, input),
    ]),
  ) as unknown as ApiCalls;
  return { ...calls, baseUrl: base, request, stream, upload };
}
