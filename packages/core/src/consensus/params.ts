/** Shared checks for method parameters; every refusal is CONSENSUS_BAD_PARAMS with a reason. */
import { KithError } from '../errors.ts';

export function badParams(detail: string): never {
  throw new KithError('CONSENSUS_BAD_PARAMS', detail);
}

/** The params as a plain object with only the allowed keys (undefined/null -> {}). */
export function paramObject(raw: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) badParams('The parameters must be an object.');
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k))
      badParams(
        allowed.length === 0
          ? `This method takes no parameters (got "${k}").`
          : `Unknown parameter "${k}"; allowed: ${allowed.join(', ')}.`,
      );
  }
  return obj;
}

export function intParam(
  obj: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
  fallback?: number,
): number {
  const v = obj[name];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    badParams(`"${name}" must be an integer from ${min} to ${max}.`);
  return v;
}

export function enumParam<T extends string>(
  obj: Record<string, unknown>,
  name: string,
  values: readonly T[],
  fallback: T,
): T {
  const v = obj[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !values.includes(v as T))
    badParams(`"${name}" must be one of: ${values.join(', ')}.`);
  return v as T;
}

export interface Fraction {
  numerator: number;
  denominator: number;
}

export function fractionParam(v: unknown, name: string): Fraction {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    badParams(`"${name}" must be an object { numerator, denominator }.`);
  const obj = paramObject(v, ['numerator', 'denominator']);
  const denominator = intParam(obj, 'denominator', 1, 1000);
  const numerator = intParam(obj, 'numerator', 1, denominator);
  return { numerator, denominator };
}

export type NoParams = Record<string, never>;

/** For methods without parameters: refuses any key. */
export function noParams(raw: unknown): NoParams {
  paramObject(raw, []);
  return {};
}
