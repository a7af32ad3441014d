/**
 * Custom consensus rules in CEL (docs/DESIGN.md §8, docs/CONSENSUS.md "Custom rules").
 *
 * At creation a rule is refused unless it is at most CEL_LIMITS.maxBytes long, parses, has an
 * AST no deeper than maxDepth with at most maxLoops nested macros, uses only allow-listed
 * functions, type-checks to bool against the tally variables, and its cost bound for the
 * largest tally it may meet stays within maxCost. Evaluation re-checks the cost bound for the
 * actual tally (cheap) and then runs @bufbuild/cel's evaluator.
 */
import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { KithError } from '../../errors.ts';
import { TALLY_LIMITS } from '../limits.ts';
import type { Tally } from '../types.ts';
import { type Analysis, analyze, astShape, type Expr, type Scope } from './checker.ts';
import { bracketNesting } from './nesting.ts';
import { show, toCelType } from './types.ts';
import { bindingsOf, boundsOf, type CelBounds, VARIABLES } from './variables.ts';

export const CEL_LIMITS = {
  /** UTF-8 bytes of the source. */
  maxBytes: 2048,
  /** Depth of the macro-expanded AST. */
  maxDepth: 32,
  /** Nesting of ( [ { tokens before parsing (nesting.ts), so the parser's recursion stays shallow. */
  maxNesting: 32,
  /** Nested macros (all, exists, exists_one, map, filter). */
  maxLoops: 3,
  /** Upper bound on evaluation steps (see checker.ts for the cost model). */
  maxCost: 1_000_000,
} as const;

export const DEFAULT_BOUNDS: CelBounds = {
  members: TALLY_LIMITS.maxMembers,
  options: TALLY_LIMITS.maxOptions,
  idLength: TALLY_LIMITS.maxIdLength,
};

export interface CelPredicate {
  readonly source: string;
  /** Cost bound under the bounds it was compiled for. */
  readonly cost: number;
  readonly bounds: CelBounds;
  /** Parsed, checked AST (internal). */
  readonly expr: Expr;
}

const env = celEnv({
  variables: Object.fromEntries(Object.entries(VARIABLES).map(([n, v]) => [n, toCelType(v.type)])),
});

type Evaluator = (bindings: Record<string, unknown>) => unknown;
/** Plans are cached per compiled rule (a worker evaluates the same rule after every event). */
const planned = new WeakMap<CelPredicate, Evaluator>();

function scopeFor(bounds: CelBounds): Scope {
  return new Map(Object.entries(VARIABLES).map(([n, v]) => [n, { t: v.type, s: v.size(bounds) }]));
}

function costOf(p: { expr: Expr }, bounds: CelBounds): Analysis {
  return analyze(p.expr, scopeFor(bounds));
}

function tooCostly(cost: number, bounds: CelBounds): never {
  throw new KithError(
    'CONSENSUS_CEL_TOO_COSTLY',
    `Its cost bound is ${cost} steps for ${bounds.members} members and ${bounds.options} options; the limit is ${CEL_LIMITS.maxCost}.`,
  );
}

/** Parses and checks a rule; throws a CONSENSUS_CEL_* KithError when it is refused. */
export function compilePredicate(source: string, bounds: CelBounds = DEFAULT_BOUNDS): CelPredicate {
  if (typeof source !== 'string') throw new KithError('CONSENSUS_CEL_SYNTAX', 'The rule must be a string.');
  const bytes = new TextEncoder().encode(source).length;
  if (bytes > CEL_LIMITS.maxBytes)
    throw new KithError(
      'CONSENSUS_CEL_TOO_LONG',
      `It has ${bytes} bytes; the limit is ${CEL_LIMITS.maxBytes}.`,
    );
  if (bracketNesting(source) > CEL_LIMITS.maxNesting)
    throw new KithError('CONSENSUS_CEL_TOO_DEEP', `Brackets nest more than ${CEL_LIMITS.maxNesting} levels.`);
  let expr: Expr;
  try {
    expr = parse(source).expr;
  } catch (cause) {
    if (cause instanceof RangeError)
      throw new KithError('CONSENSUS_CEL_TOO_DEEP', 'The parser ran out of stack.', { cause });
    const msg = cause instanceof Error ? cause.message.split('\n')[0] : '';
    throw new KithError('CONSENSUS_CEL_SYNTAX', msg, { cause });
  }
  const shape = astShape(expr);
  if (shape.depth > CEL_LIMITS.maxDepth)
    throw new KithError(
      'CONSENSUS_CEL_TOO_DEEP',
      `The expression tree has depth ${shape.depth}; the limit is ${CEL_LIMITS.maxDepth}.`,
    );
  if (shape.loops > CEL_LIMITS.maxLoops)
    throw new KithError(
      'CONSENSUS_CEL_TOO_DEEP',
      `It nests ${shape.loops} macros; the limit is ${CEL_LIMITS.maxLoops}.`,
    );
  const a = costOf({ expr }, bounds);
  if (a.t.k !== 'bool') throw new KithError('CONSENSUS_CEL_NOT_BOOL', `Its type is ${show(a.t)}.`);
  if (a.cost > CEL_LIMITS.maxCost) tooCostly(a.cost, bounds);
  return { source, cost: a.cost, bounds, expr };
}

/** Evaluates a compiled rule over a tally; throws CONSENSUS_CEL_TOO_COSTLY or _RUNTIME. */
export function evaluatePredicate(p: CelPredicate, t: Tally): boolean {
  const bounds = boundsOf(t);
  const { cost } = costOf(p, bounds);
  if (cost > CEL_LIMITS.maxCost) tooCostly(cost, bounds);
  let out: unknown;
  try {
    let run = planned.get(p);
    if (run === undefined) {
      run = plan(env, p.expr) as Evaluator;
      planned.set(p, run);
    }
    out = run(bindingsOf(t));
  } catch (cause) {
    throw new KithError('CONSENSUS_CEL_RUNTIME', 'The evaluator failed.', { cause });
  }
  if (isCelError(out)) throw new KithError('CONSENSUS_CEL_RUNTIME', out.message);
  if (typeof out !== 'boolean')
    throw new KithError('CONSENSUS_CEL_NOT_BOOL', 'It did not give true or false.');
  return out;
}
