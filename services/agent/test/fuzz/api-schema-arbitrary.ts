/**
 * fast-check inputs for the local API fuzz (api-bodies.fuzz.test.ts), made from the routes' own
 * JSON schemas (@kith/api/routes): values that pass validation most of the time, so the fuzz
 * reaches the handlers behind it, and the same values with one part broken.
 */
import fc from 'fast-check';

interface JsonSchema {
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
}

/** Strings a handler may do real work with: ids and codes this node knows, and hostile text. */
export function stringPool(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known) },
    fc.string({ maxLength: 80 }),
    fc.constantFrom(
      '',
      ' ',
      '__proto__',
      'constructor',
      '../../etc/passwd',
      'KITH1-',
      'KITH1-0000-0000-0000-0000',
      '\u0000',
      '\ud800',
      'a'.repeat(5000),
      "yes > 0 && size(ballots) == 1 || 'x'.matches('(a+)+$')",
      '[1,2,3].map(x, [1,2,3].map(y, [1,2,3].map(z, x*y*z)))',
    ),
  );
}

function hexOf(bytes: number): fc.Arbitrary<string> {
  return fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));
}

/** A value for `schema`: valid-looking, built from the pool where a string is wanted. */
export function fromSchema(schema: JsonSchema, pool: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => fromSchema(s, pool)));
  switch (schema.type) {
    case 'object': {
      const props = Object.entries(schema.properties ?? {});
      const required = new Set(schema.required ?? []);
      return fc.record(Object.fromEntries(props.map(([k, s]) => [k, fromSchema(s, pool)])), {
        requiredKeys: props.map(([k]) => k).filter((k) => required.has(k)),
      });
    }
    case 'array':
      return fc.array(schema.items ? fromSchema(schema.items, pool) : fc.jsonValue(), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 8, 8),
      });
    case 'string': {
      const hex = schema.pattern?.match(/^\^\[0-9a-f\]\{(\d+)\}\$$/);
      if (hex) return fc.oneof(hexOf(Number(hex[1]) / 2), pool);
      return fc.oneof(
        pool,
        fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 64, 64) }),
      );
    }
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? -(2 ** 40);
      const max = schema.maximum ?? 2 ** 40;
      return fc.oneof(
        fc.integer({
          min: Math.max(min, Number.MIN_SAFE_INTEGER),
          max: Math.min(max, Number.MAX_SAFE_INTEGER),
        }),
        fc.constantFrom(min, max, 0, -1, 2 ** 53, 1.5),
      );
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** One part of a valid-looking value broken: a field dropped, retyped, or one added. */
export function broken(value: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .tuple(value, fc.nat(), fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 12 }))
    .map(([v, at, other, key]) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return other;
      const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
      const keys = Object.keys(out);
      const k = keys.length > 0 ? keys[at % keys.length]! : key;
      if (at % 3 === 0) delete out[k];
      else if (at % 3 === 1) out[k] = other;
      else out[key] = other;
      return out;
    });
}

/** Bodies as sent on the wire: JSON text of these values, JSON of any shape, and text that is not JSON. */
export function bodyText(value: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: value.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 2, arbitrary: broken(value).map((v) => JSON.stringify(v) ?? 'null') },
    fc.json({ maxDepth: 3 }),
    fc.string({ maxLength: 200 }),
    fc.constantFrom(
      '',
      '{',
      'null',
      '[]',
      '1e400',
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
      `{"a":${'{"a":'.repeat(5000)}1${'}'.repeat(5001)}`,
    ),
  );
}
