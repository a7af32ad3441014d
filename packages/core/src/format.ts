/**
 * A versioned wire/storage format: a typebox schema, a size limit and a version number.
 * Every signed or stored structure is defined with `defineFormat` in its own file, so its
 * schema, encoder, decoder and limit live together. Formats are versioned: a change adds a new
 * version (and a fixture), never edits an old one.
 */
import type { Static, TObject } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { type CanonicalValue, decodeCanonical, encodeCanonical } from './codec.ts';
import { KithError } from './errors.ts';

export interface Format<S extends TObject> {
  readonly name: string;
  readonly version: number;
  readonly maxBytes: number;
  encode(value: Static<S>): Uint8Array;
  decode(bytes: Uint8Array): Static<S>;
  /** Validate an already-decoded value (e.g. a nested field). */
  check(value: unknown): Static<S>;
}

/** Every format carries `v` (its version) as a field; the schema must declare it as a literal. */
export function defineFormat<S extends TObject>(
  name: string,
  version: number,
  maxBytes: number,
  schema: S,
): Format<S> {
  let valid: ((value: unknown) => boolean) | undefined;
  const check = (value: unknown): Static<S> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new KithError('CODEC_SCHEMA', `${name}: expected a map.`);
    }
    const v = (value as { v?: unknown }).v;
    if (v !== version)
      throw new KithError('CODEC_UNKNOWN_VERSION', `${name}: version ${String(v)}, expected ${version}.`);
    valid ??= compiledCheck(schema);
    if (!valid(value)) {
      const first = Value.Errors(schema, value).First();
      throw new KithError(
        'CODEC_SCHEMA',
        `${name}: ${first ? `${first.path || '/'} ${first.message}` : 'invalid'}.`,
      );
    }
    return value as Static<S>;
  };
  return {
    name,
    version,
    maxBytes,
    encode(value) {
      const checked = check(value);
      const bytes = encodeCanonical(checked as unknown as CanonicalValue);
      if (bytes.length > maxBytes) {
        throw new KithError(
          'CODEC_OVERSIZE',
          `${name}: ${bytes.length} bytes is over the limit of ${maxBytes}.`,
        );
      }
      return bytes;
    },
    decode(bytes) {
      return check(decodeCanonical(bytes, maxBytes));
    },
    check,
  };
}

/**
 * The schema's check compiled once, on first use: every message is encoded and decoded through
 * its format, and the interpreted `Value.Check` walked the schema on each (about a quarter of
 * sealing a message, ARCHITECTURE "Messaging performance"). Where code generation is refused
 * (a page whose CSP has no 'unsafe-eval'), the interpreted check is used: the same rules.
 */
function compiledCheck(schema: TObject): (value: unknown) => boolean {
  try {
    const compiled = TypeCompiler.Compile(schema);
    return (value) => compiled.Check(value);
  } catch {
    return (value) => Value.Check(schema, value);
  }
}
