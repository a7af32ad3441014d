/**
 * The static types and size bounds our CEL checker works with (docs/CONSENSUS.md "Custom
 * rules"). @bufbuild/cel 0.6 ships no usable type checker (its Checker handles only constants
 * and identifiers and is not exported), so Kith checks the parsed AST itself, over the small
 * typed subset a tally needs.
 */
import { CelScalar, type CelType, listType, mapType } from '@bufbuild/cel';

export type CType =
  | { k: 'int' }
  | { k: 'uint' }
  | { k: 'double' }
  | { k: 'bool' }
  | { k: 'string' }
  | { k: 'list'; e: CType }
  | { k: 'map'; key: CType; val: CType }
  /** Element type of an empty list literal; unifies with anything. */
  | { k: 'unknown' };

export const T = {
  int: { k: 'int' },
  uint: { k: 'uint' },
  double: { k: 'double' },
  bool: { k: 'bool' },
  string: { k: 'string' },
  unknown: { k: 'unknown' },
  list: (e: CType): CType => ({ k: 'list', e }),
  map: (key: CType, val: CType): CType => ({ k: 'map', key, val }),
} as const satisfies Record<string, CType | ((...a: CType[]) => CType)>;

export function show(t: CType): string {
  switch (t.k) {
    case 'list':
      return `list(${show(t.e)})`;
    case 'map':
      return `map(${show(t.key)}, ${show(t.val)})`;
    case 'unknown':
      return 'unknown';
    default:
      return t.k;
  }
}

/** The most specific type both sides can have, or null if they differ. */
export function join(a: CType, b: CType): CType | null {
  if (a.k === 'unknown') return b;
  if (b.k === 'unknown') return a;
  if (a.k === 'list' && b.k === 'list') {
    const e = join(a.e, b.e);
    return e && T.list(e);
  }
  if (a.k === 'map' && b.k === 'map') {
    const key = join(a.key, b.key);
    const val = join(a.val, b.val);
    return key && val && T.map(key, val);
  }
  return a.k === b.k ? a : null;
}

export function isNumeric(t: CType): boolean {
  return t.k === 'int' || t.k === 'uint' || t.k === 'double';
}

/** True if the type, or a part of it, is still unknown (refused where a value is used). */
export function hasUnknown(t: CType): boolean {
  if (t.k === 'unknown') return true;
  if (t.k === 'list') return hasUnknown(t.e);
  if (t.k === 'map') return hasUnknown(t.key) || hasUnknown(t.val);
  return false;
}

/** The same type for @bufbuild/cel's environment. */
export function toCelType(t: CType): CelType {
  switch (t.k) {
    case 'int':
      return CelScalar.INT;
    case 'uint':
      return CelScalar.UINT;
    case 'double':
      return CelScalar.DOUBLE;
    case 'bool':
      return CelScalar.BOOL;
    case 'string':
      return CelScalar.STRING;
    case 'list':
      return listType(toCelType(t.e));
    case 'map': {
      const key = toCelType(t.key);
      if (key !== CelScalar.STRING && key !== CelScalar.INT) throw new Error('unsupported map key type');
      return mapType(key, toCelType(t.val));
    }
    case 'unknown':
      return CelScalar.DYN;
  }
}

/**
 * Upper bound on the size of a value: n is the length of a string, or the number of elements
 * of a list or entries of a map; e bounds the elements (list) or keys (map), v the values.
 */
export interface Size {
  n: number;
  e?: Size;
  v?: Size;
}

export const SCALAR: Size = { n: 1 };

/**
 * Upper bound on the work of comparing or hashing a value, in scalar units; a string counts one
 * unit per 32 characters (native string comparison is far cheaper than an evaluator step).
 */
export function volume(s: Size | undefined): number {
  if (s === undefined) return 1;
  if (s.e === undefined && s.v === undefined) return 1 + Math.ceil(s.n / 32);
  return 1 + s.n * (volume(s.e) + (s.v ? volume(s.v) : 0));
}

/**
 * Cost, in evaluator steps, of native bulk work on `units` scalars. Measured with @bufbuild/cel
 * 0.6 on Node 20: one evaluator step costs about as much as eight native element operations.
 */
export function bulk(units: number): number {
  return Math.ceil(units / 8);
}

export function maxSize(a: Size | undefined, b: Size | undefined): Size | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const out: Size = { n: Math.max(a.n, b.n) };
  const e = maxSize(a.e, b.e);
  const v = maxSize(a.v, b.v);
  if (e) out.e = e;
  if (v) out.v = v;
  return out;
}
