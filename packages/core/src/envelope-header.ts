/**
 * The three envelope header versions and how each binds a wrapped share (envelope.ts has the
 * sealing and opening; docs/PROTOCOL.md "Envelope").
 *
 *   v1  recipients[]   HPKE info KDF.ENVELOPE_WRAP,       aad = nonce || t
 *   v2  groups[][]     HPKE info KDF.ENVELOPE_WRAP_GROUP, aad = nonce || t || n || i
 *   v3  groups[][]     HPKE info KDF.ENVELOPE_WRAP_BOUND, aad = wrapContext(header) || i
 *
 * v1 and v2 bind a wrap only to the body (nonce) and its place, not to who sent the envelope or
 * to whom else it is sealed: a reader could copy another sender's wraps into an envelope of its
 * own and have a recipient unwrap them. v3 binds every wrap to the whole header except the
 * wraps themselves: version, kind, sender, createdAt, t, nonce, meta and every key of every
 * group (so n and the group layout too). Only v3 is written; v1 and v2 are read as they are.
 */
import { Type } from '@sinclair/typebox';
import type { CryptoBackend } from './crypto/backend.ts';
import { concatBytes, utf8 } from './crypto/index.ts';
import { decodeCanonical, encodeCanonical } from './codec.ts';
import { defineFormat } from './format.ts';
import { HASH, KDF, frameWithLabel } from './labels.ts';

export const ENVELOPE_MAX_RECIPIENTS = 255;
export const ENVELOPE_MAX_META = 4096;
export const HEADER_MAX = 64 * 1024;

const Key32 = Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 });

const Wrap = Type.Object(
  { key: Key32, enc: Key32, wrapped: Type.Uint8Array({ maxByteLength: 128 }) },
  { additionalProperties: false },
);

const common = {
  kind: Type.String({ minLength: 1, maxLength: 32 }),
  sender: Key32,
  createdAt: Type.Integer({ minimum: 0 }),
  t: Type.Integer({ minimum: 1, maximum: ENVELOPE_MAX_RECIPIENTS }),
  nonce: Type.Uint8Array({ minByteLength: 24, maxByteLength: 24 }),
  meta: Type.Uint8Array({ maxByteLength: ENVELOPE_MAX_META }),
};

const Groups = Type.Array(Type.Array(Wrap, { minItems: 1, maxItems: ENVELOPE_MAX_RECIPIENTS }), {
  minItems: 1,
  maxItems: ENVELOPE_MAX_RECIPIENTS,
});

/** v1: one share (or the content key) per recipient key. Read only. */
export const HeaderV1Format = defineFormat(
  'envelope-header',
  1,
  HEADER_MAX,
  Type.Object(
    {
      v: Type.Literal(1),
      ...common,
      recipients: Type.Array(Wrap, { minItems: 1, maxItems: ENVELOPE_MAX_RECIPIENTS }),
    },
    { additionalProperties: false },
  ),
);

/** v2: share groups, wraps bound to their place only. Read only. */
export const HeaderV2Format = defineFormat(
  'envelope-header',
  2,
  HEADER_MAX,
  Type.Object({ v: Type.Literal(2), ...common, groups: Groups }, { additionalProperties: false }),
);

/** v3: share groups, wraps bound to the whole header. The one version written. */
export const HeaderV3Format = defineFormat(
  'envelope-header',
  3,
  HEADER_MAX,
  Type.Object({ v: Type.Literal(3), ...common, groups: Groups }, { additionalProperties: false }),
);

export type HeaderV1 = ReturnType<typeof HeaderV1Format.decode>;
export type HeaderV2 = ReturnType<typeof HeaderV2Format.decode>;
export type HeaderV3 = ReturnType<typeof HeaderV3Format.decode>;
export type Header = HeaderV1 | HeaderV2 | HeaderV3;

export function decodeHeader(bytes: Uint8Array): Header {
  const raw = decodeCanonical(bytes, HEADER_MAX);
  const v = (raw as { v?: unknown } | null)?.v;
  if (v === 3) return HeaderV3Format.check(raw);
  return v === 2 ? HeaderV2Format.check(raw) : HeaderV1Format.check(raw);
}

export const WRAP_INFO = {
  1: utf8.encode(KDF.ENVELOPE_WRAP),
  2: utf8.encode(KDF.ENVELOPE_WRAP_GROUP),
  3: utf8.encode(KDF.ENVELOPE_WRAP_BOUND),
} as const;

export function wrapAadV1(nonce: Uint8Array, t: number): Uint8Array {
  return concatBytes(nonce, Uint8Array.of(t));
}

export function wrapAadV2(nonce: Uint8Array, t: number, n: number, i: number): Uint8Array {
  return concatBytes(nonce, Uint8Array.of(t, n, i));
}

/** What a v3 header says apart from its wraps: every field, and the keys of every group. */
export interface WrapContextFields {
  kind: string;
  sender: Uint8Array;
  createdAt: number;
  t: number;
  nonce: Uint8Array;
  meta: Uint8Array;
  /** Recipient keys, per group, in order. */
  groups: readonly (readonly Uint8Array[])[];
}

/** SHA-256 over the labelled canonical encoding of the header without its wraps. */
export function wrapContext(fields: WrapContextFields, backend: CryptoBackend): Uint8Array {
  const body = encodeCanonical({
    v: 3,
    kind: fields.kind,
    sender: fields.sender,
    createdAt: fields.createdAt,
    t: fields.t,
    nonce: fields.nonce,
    meta: fields.meta,
    groups: fields.groups.map((g) => [...g]),
  });
  return backend.sha256(frameWithLabel(HASH.ENVELOPE_WRAP_CONTEXT, body));
}

export function wrapAadV3(context: Uint8Array, i: number): Uint8Array {
  return concatBytes(context, Uint8Array.of(i));
}
