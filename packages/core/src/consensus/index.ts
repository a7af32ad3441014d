/** Consensus (docs/DESIGN.md §8): tally, methods and custom CEL rules. See docs/CONSENSUS.md. */
export { assertBallot, checkBallot, DEFAULT_RULES } from './ballot.ts';
export {
  CEL_LIMITS,
  type CelPredicate,
  compilePredicate,
  DEFAULT_BOUNDS,
  evaluatePredicate,
} from './cel/predicate.ts';
export { type CelBounds, VARIABLES as CEL_VARIABLES } from './cel/variables.ts';
export {
  type ConsensusSpec,
  type DecisionInput,
  decide,
  type PreparedMethod,
  prepareMethod,
} from './decide.ts';
export { TALLY_LIMITS } from './limits.ts';
export type { ConsensusMethod } from './methods/method.ts';
export { isMethodName, METHOD_NAMES, METHODS, type MethodName } from './methods/registry.ts';
export { resolveRules, tally } from './tally.ts';
export { tieOrder } from './tie-order.ts';
export * from './types.ts';
