/**
 * Static checks of a parsed CEL rule (docs/CONSENSUS.md "Custom rules"): AST depth, allowed
 * constructs and functions, types, and a deterministic upper bound on evaluation cost.
 *
 * The cost bound is how the time limit is enforced: @bufbuild/cel evaluates synchronously and
 * cannot be interrupted, and a wall-clock limit would let a slow member's machine reach a
 * different outcome than a fast one's. So before any evaluation we bound the work from the
 * sizes of the inputs (every list and map in the tally has a known maximum size) and refuse a
 * rule whose bound exceeds the budget. Comprehensions (all, exists, exists_one, map, filter)
 * multiply the cost of their body by the size of their range; nothing else loops.
 */
import type { parse } from '@bufbuild/cel';
import { KithError } from '../../errors.ts';
import { type Typed, typeCall } from './functions.ts';
import { bulk, type CType, join, SCALAR, type Size, show, T, volume } from './types.ts';

export type Expr = ReturnType<typeof parse>['expr'];

export interface Analysis extends Typed {
  cost: number;
}

export type Scope = ReadonlyMap<string, Typed>;

function forbidden(detail: string): never {
  throw new KithError('CONSENSUS_CEL_FORBIDDEN', detail);
}

function typeError(detail: string): never {
  throw new KithError('CONSENSUS_CEL_TYPE', detail);
}

function children(e: Expr): Expr[] {
  const k = e.exprKind;
  switch (k.case) {
    case 'callExpr':
      return [...(k.value.target ? [k.value.target] : []), ...k.value.args];
    case 'selectExpr':
      return k.value.operand ? [k.value.operand] : [];
    case 'listExpr':
      return k.value.elements;
    case 'structExpr':
      return k.value.entries.flatMap((en) => [
        ...(en.keyKind.case === 'mapKey' ? [en.keyKind.value] : []),
        ...(en.value ? [en.value] : []),
      ]);
    case 'comprehensionExpr': {
      const c = k.value;
      return [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].filter((x): x is Expr => !!x);
    }
    default:
      return [];
  }
}

/**
 * Depth of the (macro-expanded) AST and the deepest nesting of macros (loops), computed
 * without recursion so that a deep tree cannot exhaust the stack here.
 */
export function astShape(root: Expr): { depth: number; loops: number } {
  let depth = 0;
  let loops = 0;
  const stack: [Expr, number, number][] = [[root, 1, 0]];
  while (stack.length > 0) {
    const [e, d, l0] = stack.pop()!;
    const l = l0 + (e.exprKind.case === 'comprehensionExpr' ? 1 : 0);
    depth = Math.max(depth, d);
    loops = Math.max(loops, l);
    for (const c of children(e)) stack.push([c, d + 1, l]);
  }
  return { depth, loops };
}

function need(e: Expr | undefined): Expr {
  if (!e) forbidden('The rule has an incomplete expression.');
  return e;
}

/** Type, size bound and cost bound of an expression; throws CONSENSUS_CEL_* refusals. */
export function analyze(e: Expr, scope: Scope): Analysis {
  const k = e.exprKind;
  switch (k.case) {
    case 'constExpr': {
      const c = k.value.constantKind;
      switch (c.case) {
        case 'boolValue':
          return { t: T.bool, s: SCALAR, cost: 1 };
        case 'int64Value':
          return { t: T.int, s: SCALAR, cost: 1 };
        case 'uint64Value':
          return { t: T.uint, s: SCALAR, cost: 1 };
        case 'doubleValue':
          return { t: T.double, s: SCALAR, cost: 1 };
        case 'stringValue':
          return { t: T.string, s: { n: c.value.length }, cost: 1 };
        default:
          return forbidden(`Constants of kind ${c.case ?? 'unknown'} are not allowed.`);
      }
    }
    case 'identExpr': {
      const v = scope.get(k.value.name);
      if (!v) typeError(`Unknown name "${k.value.name}"; see the variables in docs/CONSENSUS.md.`);
      return { ...v, cost: 1 };
    }
    case 'selectExpr': {
      const operand = analyze(need(k.value.operand), scope);
      if (operand.t.k !== 'map' || operand.t.key.k !== 'string')
        typeError(`".${k.value.field}" needs a map with string keys, not ${show(operand.t)}.`);
      const cost = operand.cost + 1 + bulk(volume({ n: k.value.field.length }));
      if (k.value.testOnly) return { t: T.bool, s: SCALAR, cost };
      return { t: operand.t.val, s: operand.s.v ?? SCALAR, cost };
    }
    case 'callExpr': {
      const target = k.value.target ? analyze(k.value.target, scope) : undefined;
      const args = k.value.args.map((a) => analyze(a, scope));
      const r = typeCall(k.value.function, target, args);
      const cost = 1 + r.cost + (target?.cost ?? 0) + args.reduce((s, a) => s + a.cost, 0);
      return { t: r.t, s: r.s, cost };
    }
    case 'listExpr': {
      if (k.value.optionalIndices.length > 0) forbidden('Optional list elements are not allowed.');
      let t: CType = T.unknown;
      let e: Size | undefined;
      let cost = 1;
      for (const el of k.value.elements) {
        const a = analyze(el, scope);
        t = join(t, a.t) ?? typeError(`A list mixes ${show(t)} and ${show(a.t)}.`);
        e = e === undefined ? a.s : { ...a.s, n: Math.max(e.n, a.s.n) };
        cost += a.cost;
      }
      const s: Size = { n: k.value.elements.length };
      if (e) s.e = e;
      return { t: T.list(t), s, cost: cost + bulk(s.n) };
    }
    case 'structExpr':
      return forbidden('Map and message literals are not allowed.');
    case 'comprehensionExpr':
      return comprehension(k.value, scope);
    default:
      return forbidden('The rule has an expression of an unknown kind.');
  }
}

type Comprehension = Extract<Expr['exprKind'], { case: 'comprehensionExpr' }>['value'];

function comprehension(c: Comprehension, scope: Scope): Analysis {
  if (c.iterVar2 !== '') forbidden('Two-variable comprehensions are not allowed.');
  const range = analyze(need(c.iterRange), scope);
  let elem: Typed;
  if (range.t.k === 'list') elem = { t: range.t.e, s: range.s.e ?? SCALAR };
  else if (range.t.k === 'map') elem = { t: range.t.key, s: range.s.e ?? SCALAR };
  else return typeError(`A macro needs a list or map to loop over, not ${show(range.t)}.`);
  const init = analyze(need(c.accuInit), scope);
  const n = range.s.n;

  const inLoop = (accu: Typed): Scope => new Map([...scope, [c.iterVar, elem], [c.accuVar, accu]]);
  // Type of the accumulator: the join of its initial value and what one step makes of it.
  let accuT = init.t;
  let step = analyze(need(c.loopStep), inLoop({ t: accuT, s: init.s }));
  const joined = join(accuT, step.t) ?? typeError('A macro step changes the type of its result.');
  if (show(joined) !== show(accuT)) {
    accuT = joined;
    step = analyze(need(c.loopStep), inLoop({ t: accuT, s: init.s }));
  }
  // The accumulator grows by at most the same amount each step (map/filter append one element).
  const growth = Math.max(0, step.s.n - init.s.n);
  const accuS: Size = { ...step.s, n: init.s.n + n * growth };
  const accu: Typed = { t: accuT, s: accuS };
  const cond = analyze(need(c.loopCondition), inLoop(accu));
  if (cond.t.k !== 'bool') typeError('A macro condition must be true or false.');
  step = analyze(need(c.loopStep), inLoop(accu));
  const result = analyze(need(c.result), new Map([...scope, [c.accuVar, accu]]));
  const cost = 1 + range.cost + init.cost + n * (cond.cost + step.cost) + result.cost;
  return { t: result.t, s: result.s, cost };
}
