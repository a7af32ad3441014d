/**
 * The local API's schema compilers, compiled per route on its first request instead of at start
 * (docs/ARCHITECTURE.md "Start-up"). Fastify compiles every route's validators and response
 * serializers while the server gets ready: some 70 routes of TypeBox checks and
 * fast-json-stringify serializers, a large share of a `kith up` that most routes never pay
 * back before the first person asks. What a route checks and how it answers are unchanged: the
 * same TypeBox check (as fastify's TypeBox type provider does it) and the same
 * fast-json-stringify serializer (fastify's default, built with the server's options), only
 * built when first needed and kept.
 *
 * Given to fastify as its `schemaController.compilersFactory`, so it does not load its default
 * compilers (ajv, fast-json-stringify) at start either: the serializer's are loaded on the first
 * response that has a schema.
 */
import { createRequire } from 'node:module';
import type { FastifySchemaCompiler, FastifySerializerCompiler, FastifyServerOptions } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

/**
 * TypeBox validation as `TypeBoxValidatorCompiler` of @fastify/type-provider-typebox does it
 * (query, params and headers converted to the schema's types first; the body as sent), with
 * the check compiled on first use.
 */
const lazyTypeBoxValidator: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  let check: ReturnType<typeof Compile> | undefined;
  return (value): { value: unknown } | { error: ReturnType<ReturnType<typeof Compile>['Errors']> } => {
    check ??= Compile(schema);
    const converted = httpPart === 'body' ? value : Value.Convert(schema, value);
    if (check.Check(converted)) return { value: converted };
    return { error: check.Errors(converted) };
  };
};

type SerializerFactory = (
  externalSchemas: unknown,
  serializerOpts: unknown,
) => FastifySerializerCompiler<unknown>;

/** fastify's own default, from fastify's dependencies (not ours): loaded on first use. */
function defaultSerializerFactory(): SerializerFactory {
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  return (
    fromFastify('@fastify/fast-json-stringify-compiler') as { SerializerSelector: () => SerializerFactory }
  ).SerializerSelector();
}

/** fastify's default serializer (fast-json-stringify), built per route and status on first use. */
function lazySerializerFactory(externalSchemas: unknown, serializerOpts: unknown) {
  let build: FastifySerializerCompiler<unknown> | undefined;
  const compiler: FastifySerializerCompiler<unknown> = (route) => {
    let serialize: ((data: unknown) => string) | undefined;
    return (data: unknown) => {
      build ??= defaultSerializerFactory()(externalSchemas, serializerOpts);
      serialize ??= build(route);
      return serialize(data);
    };
  };
  return compiler;
}

type CompilersFactory = NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>;

/** For `Fastify({ schemaController: { compilersFactory: LAZY_COMPILERS } })`. */
export const LAZY_COMPILERS = {
  buildValidator: () => lazyTypeBoxValidator,
  buildSerializer: lazySerializerFactory,
  // fastify types these factories with ajv's and fast-json-stringify's own signatures.
} as unknown as CompilersFactory;
