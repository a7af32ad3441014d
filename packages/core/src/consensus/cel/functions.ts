/**
 * The allow-list of CEL functions a custom rule may call, with their type rules and cost
 * (docs/CONSENSUS.md "Custom rules"). Anything not named here is refused: no regular
 * expressions, no timestamps or durations, no dyn/type introspection, no string formatting.
 */
import { KithError } from '../../errors.ts';
import {
  bulk,
  type CType,
  hasUnknown,
  isNumeric,
  join,
  maxSize,
  SCALAR,
  type Size,
  show,
  T,
  volume,
} from './types.ts';

export interface Typed {
  t: CType;
  s: Size;
}

export interface CallResult extends Typed {
  /** Work of the call itself, on top of evaluating its arguments. */
  cost: number;
}

/** Functions (and operators, by their CEL internal names) that a rule may use. */
export const ALLOWED_FUNCTIONS: readonly string[] = [
  '_&&_',
  '_||_',
  '!_',
  '-_',
  '_==_',
  '_!=_',
  '_<_',
  '_<=_',
  '_>_',
  '_>=_',
  '_+_',
  '_-_',
  '_*_',
  '_/_',
  '_%_',
  '_?_:_',
  '_[_]',
  '@in',
  '@not_strictly_false',
  'size',
  'int',
  'double',
  'contains',
  'startsWith',
  'endsWith',
];

const METHODS = new Set(['size', 'contains', 'startsWith', 'endsWith']);

function typeError(detail: string): never {
  throw new KithError('CONSENSUS_CEL_TYPE', detail);
}

function noMatch(fn: string, args: readonly Typed[]): never {
  typeError(`No overload of ${fn} takes (${args.map((a) => show(a.t)).join(', ')}).`);
}

const bool = (cost = 1): CallResult => ({ t: T.bool, s: SCALAR, cost });

/** Type, size and cost of one call, or a CONSENSUS_CEL_* refusal. */
export function typeCall(fn: string, target: Typed | undefined, args: readonly Typed[]): CallResult {
  if (!ALLOWED_FUNCTIONS.includes(fn)) {
    throw new KithError('CONSENSUS_CEL_FORBIDDEN', `The function "${fn}" is not allowed in a custom rule.`);
  }
  if (target !== undefined && !METHODS.has(fn)) noMatch(fn, [target, ...args]);
  const all = target ? [target, ...args] : args;
  for (const a of all) {
    if (a.t.k === 'unknown') typeError(`The type of an argument of ${fn} cannot be known (an empty list?).`);
  }
  const [a, b, c] = all;
  const arity = (n: number) => {
    if (all.length !== n) noMatch(fn, all);
  };
  switch (fn) {
    case '_&&_':
    case '_||_':
      arity(2);
      if (a!.t.k !== 'bool' || b!.t.k !== 'bool') noMatch(fn, all);
      return bool();
    case '!_':
    case '@not_strictly_false':
      arity(1);
      if (a!.t.k !== 'bool') noMatch(fn, all);
      return bool();
    case '-_':
      arity(1);
      if (a!.t.k !== 'int' && a!.t.k !== 'double') noMatch(fn, all);
      return { t: a!.t, s: SCALAR, cost: 1 };
    case '_==_':
    case '_!=_':
      arity(2);
      if (!join(a!.t, b!.t) && !(isNumeric(a!.t) && isNumeric(b!.t))) noMatch(fn, all);
      return bool(1 + bulk(Math.min(volume(a!.s), volume(b!.s))));
    case '_<_':
    case '_<=_':
    case '_>_':
    case '_>=_': {
      arity(2);
      const ok =
        (isNumeric(a!.t) && isNumeric(b!.t)) ||
        (a!.t.k === 'string' && b!.t.k === 'string') ||
        (a!.t.k === 'bool' && b!.t.k === 'bool');
      if (!ok) noMatch(fn, all);
      return bool(1 + bulk(Math.min(volume(a!.s), volume(b!.s))));
    }
    case '_+_': {
      arity(2);
      if (a!.t.k === 'string' && b!.t.k === 'string') {
        const s = { n: a!.s.n + b!.s.n };
        return { t: T.string, s, cost: 1 + bulk(volume(s)) };
      }
      if (a!.t.k === 'list' && b!.t.k === 'list') {
        const t = join(a!.t, b!.t) ?? noMatch(fn, all);
        const s: Size = { n: a!.s.n + b!.s.n };
        const e = maxSize(a!.s.e, b!.s.e);
        if (e) s.e = e;
        // Concatenation copies element references, not the elements.
        return { t, s, cost: 1 + bulk(s.n) };
      }
      return arithmetic(fn, all);
    }
    case '_-_':
    case '_*_':
    case '_/_':
      arity(2);
      return arithmetic(fn, all);
    case '_%_':
      arity(2);
      if (a!.t.k === 'double') noMatch(fn, all);
      return arithmetic(fn, all);
    case '_?_:_': {
      arity(3);
      if (a!.t.k !== 'bool') noMatch(fn, all);
      const t = join(b!.t, c!.t) ?? noMatch(fn, all);
      return { t, s: maxSize(b!.s, c!.s)!, cost: 1 };
    }
    case '_[_]':
      arity(2);
      if (a!.t.k === 'list' && (b!.t.k === 'int' || b!.t.k === 'uint'))
        return { t: a!.t.e, s: a!.s.e ?? SCALAR, cost: 1 };
      if (a!.t.k === 'map' && join(a!.t.key, b!.t))
        return { t: a!.t.val, s: a!.s.v ?? SCALAR, cost: 1 + bulk(volume(b!.s)) };
      return noMatch(fn, all);
    case '@in':
      arity(2);
      if (b!.t.k === 'list' && join(a!.t, b!.t.e)) return bool(1 + bulk(b!.s.n * volume(b!.s.e)));
      if (b!.t.k === 'map' && join(a!.t, b!.t.key)) return bool(1 + bulk(volume(a!.s)));
      return noMatch(fn, all);
    case 'size':
      arity(1);
      if (a!.t.k !== 'string' && a!.t.k !== 'list' && a!.t.k !== 'map') noMatch(fn, all);
      return { t: T.int, s: SCALAR, cost: 1 };
    case 'int':
    case 'double':
      arity(1);
      if (!isNumeric(a!.t)) noMatch(fn, all);
      return { t: fn === 'int' ? T.int : T.double, s: SCALAR, cost: 1 };
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      if (target === undefined) noMatch(fn, all);
      arity(2);
      if (a!.t.k !== 'string' || b!.t.k !== 'string') noMatch(fn, all);
      // Substring search is at worst proportional to the product of the lengths.
      return bool(1 + (fn === 'contains' ? bulk(((a!.s.n + 1) * (b!.s.n + 1)) / 32) : bulk(volume(b!.s))));
    default:
      return noMatch(fn, all);
  }
}

function arithmetic(fn: string, all: readonly Typed[]): CallResult {
  const [a, b] = all;
  if (!isNumeric(a!.t) || a!.t.k !== b!.t.k || hasUnknown(a!.t)) noMatch(fn, all);
  return { t: a!.t, s: SCALAR, cost: 1 };
}
