/** The request and answer types of each route, derived from its schemas (routes.ts). */
import type { Static, TSchema } from 'typebox';
import type { RouteName, Routes } from './routes.ts';

type Part<R, K extends 'params' | 'query' | 'body'> = R extends { readonly [P in K]: infer S extends TSchema }
  ? Static<S>
  : undefined;

/** Path parameters of a route (`undefined` when it has none). */
export type ParamsOf<N extends RouteName> = Part<Routes[N], 'params'>;
export type QueryOf<N extends RouteName> = Part<Routes[N], 'query'>;
export type BodyOf<N extends RouteName> = Part<Routes[N], 'body'>;
export type ResponseOf<N extends RouteName> = Static<Routes[N]['response']>;

/** What a call of route N takes: the parts it has, each by name. */
export type RequestOf<N extends RouteName> = ([ParamsOf<N>] extends [undefined]
  ? { params?: undefined }
  : { params: ParamsOf<N> }) &
  ([QueryOf<N>] extends [undefined] ? { query?: undefined } : { query?: QueryOf<N> }) &
  ([BodyOf<N>] extends [undefined] ? { body?: undefined } : { body: BodyOf<N> });
