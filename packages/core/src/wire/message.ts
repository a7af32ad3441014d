/**
 * Messages carried inside a Noise link (docs/PROTOCOL.md "Messages"). Each is a canonical CBOR
 * map `{ v, t, … }`: `t` names the message, `v` its version. One file per message holds its
 * schema, size limit, encoder and decoder (via `defineMessage`); `decodeMessage` dispatches.
 */
import { type Static, type TObject, type TProperties, Type } from '@sinclair/typebox';
import { decodeCanonical } from '../codec.ts';
import { KithError } from '../errors.ts';
import { defineFormat } from '../format.ts';
import { peekMessageType } from './peek-type.ts';

/** No link message is larger than this (the link layer's maxPayload sits above it). */
export const WIRE_MAX_MESSAGE = 8 * 1024 * 1024;

/** The decoded value of a message defined with properties P. */
export type MessageValue<T extends string, P extends TProperties> = { v: number; t: T } & Static<TObject<P>>;

export interface Message<T extends string, P extends TProperties> {
  readonly type: T;
  readonly name: string;
  readonly version: number;
  readonly maxBytes: number;
  encode(value: MessageValue<T, P>): Uint8Array;
  decode(bytes: Uint8Array): MessageValue<T, P>;
  check(value: unknown): MessageValue<T, P>;
}

export function defineMessage<T extends string, P extends TProperties>(
  type: T,
  version: number,
  maxBytes: number,
  properties: P,
) {
  const schema = Type.Object(
    { v: Type.Literal(version), t: Type.Literal(type), ...properties },
    { additionalProperties: false },
  ) as unknown as TObject;
  const format = defineFormat(`message ${type}`, version, maxBytes, schema);
  return { ...format, type } as unknown as Message<T, P>;
}

// biome-ignore lint/suspicious/noExplicitAny: any message definition
export type AnyMessage = Message<string, any>;
export type MessageOf<M> = M extends Message<infer T, infer P> ? MessageValue<T, P> : never;

/** Reads only `t` to pick the message definition and its size limit, then decodes strictly with it. */
export function decodeMessage<const Ms extends readonly AnyMessage[]>(
  bytes: Uint8Array,
  defs: Ms,
): MessageOf<Ms[number]> {
  if (bytes.length > WIRE_MAX_MESSAGE)
    throw new KithError('CODEC_OVERSIZE', `${bytes.length} bytes is over the limit of ${WIRE_MAX_MESSAGE}.`);
  // The type's own limit holds before anything else is decoded.
  const t = peekMessageType(bytes);
  const def = defs.find((d) => d.type === t);
  if (!def) {
    // Decoded only for a precise error, and no further than the largest message here.
    const raw = decodeCanonical(bytes, Math.max(...defs.map((d) => d.maxBytes)));
    const named = (raw as { t?: unknown } | null)?.t;
    throw new KithError('CODEC_SCHEMA', `Unknown message type ${JSON.stringify(named)}.`);
  }
  if (bytes.length > def.maxBytes)
    throw new KithError('CODEC_OVERSIZE', `${def.type} is over ${def.maxBytes} bytes.`);
  return def.check(decodeCanonical(bytes, def.maxBytes)) as MessageOf<Ms[number]>;
}
