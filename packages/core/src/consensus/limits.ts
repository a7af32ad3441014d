/**
 * Size limits of a tally (docs/CONSENSUS.md "Limits"). They bound the work of every counting
 * rule (Schulze is cubic in options) and the cost bound of custom CEL rules.
 */
export const TALLY_LIMITS = {
  maxMembers: 1024,
  maxOptions: 64,
  maxBallots: 65_536,
  /** Option and member ids: 1..128 printable ASCII characters. */
  maxIdLength: 128,
  /** Objection and block reasons, in UTF-16 code units. */
  maxReasonLength: 2000,
  /** Bound on |score| for the score range. */
  maxAbsScore: 1000,
  maxDotBudget: 1000,
  maxCapacity: 1_000_000,
} as const;

/** Printable ASCII without space; `__proto__` is refused so ids are safe as record keys. */
const ID_PATTERN = /^[\x21-\x7e]+$/;

export function isValidId(id: unknown): id is string {
  return (
    typeof id === 'string' &&
    id.length >= 1 &&
    id.length <= TALLY_LIMITS.maxIdLength &&
    ID_PATTERN.test(id) &&
    id !== '__proto__'
  );
}
