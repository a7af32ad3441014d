/**
 * The canonical codec (docs/DESIGN.md §5): deterministic CBOR (RFC 8949 §4.2.1 core deterministic
 * encoding, via cborg) is the one byte form that is hashed, signed and sent.
 *
 * Allowed values: null, booleans, safe integers, strings, byte strings (Uint8Array), arrays and
 * plain objects with string keys. No floats, no undefined, no tags, no indefinite lengths.
 * Decoding is strict: it rejects oversize input, malformed or non-minimal CBOR, duplicate keys,
 * trailing bytes, and any input that does not re-encode to exactly the same bytes.
 */
import { decode, encode, rfc8949EncodeOptions } from 'cborg';
import { KithError } from './errors.ts';

export type CanonicalValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | CanonicalValue[]
  | { [key: string]: CanonicalValue };

/** Hard ceiling for any single decoded document unless a smaller limit is given. */
export const CODEC_MAX_BYTES = 16 * 1024 * 1024;
const MAX_DEPTH = 32;

function checkValue(value: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new KithError('CODEC_SCHEMA', 'The data is nested too deeply.');
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new KithError('CODEC_SCHEMA', 'Only whole numbers are allowed.');
    return;
  }
  if (value instanceof Uint8Array) return;
  if (Array.isArray(value)) {
    for (const v of value) checkValue(v, depth + 1);
    return;
  }
  if (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    for (const v of Object.values(value as Record<string, unknown>)) checkValue(v, depth + 1);
    return;
  }
  throw new KithError('CODEC_SCHEMA', `A value of type ${typeof value} cannot be encoded.`);
}

export function encodeCanonical(value: CanonicalValue): Uint8Array {
  checkValue(value, 0);
  const bytes = encode(value, rfc8949EncodeOptions);
  // cborg hands out Buffers from Node's shared pool under Node; give callers their own plain bytes.
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes);
}

export function decodeCanonical(bytes: Uint8Array, maxBytes: number = CODEC_MAX_BYTES): CanonicalValue {
  if (!(bytes instanceof Uint8Array)) throw new KithError('CODEC_MALFORMED', 'Expected bytes.');
  if (bytes.length > maxBytes) {
    throw new KithError('CODEC_OVERSIZE', `${bytes.length} bytes is over the limit of ${maxBytes}.`);
  }
  // A Buffer would make every decoded byte string a Buffer too; decode plain Uint8Array views.
  const view =
    bytes.constructor === Uint8Array
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let value: unknown;
  try {
    value = decode(view, {
      strict: true,
      rejectDuplicateMapKeys: true,
      allowIndefinite: false,
      allowUndefined: false,
      allowInfinity: false,
      allowNaN: false,
      allowBigInt: false,
      useMaps: false,
      tags: [],
    });
  } catch (cause) {
    throw new KithError('CODEC_MALFORMED', undefined, { cause });
  }
  checkValue(value, 0);
  const again = encode(value, rfc8949EncodeOptions);
  if (!sameBytes(again, view)) throw new KithError('CODEC_NON_CANONICAL');
  return value as CanonicalValue;
}

/** Byte equality in a plain loop (`every` made a callback per byte; core also runs in browsers). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
