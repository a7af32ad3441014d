/** Building blocks shared by the message patterns (schemas of common fields, common checks). */
import { type TProperties, Type } from '@sinclair/typebox';
import { KithError } from '../../errors.ts';
import { CONVERSATION_LIMITS } from '../limits.ts';
import type { EventContext, KindRule, PatternParams } from './pattern.ts';

export const Text = Type.String({ minLength: 1, maxLength: CONVERSATION_LIMITS.maxTextLength });
/** An event id (hex) named in a body. */
export const EventRef = Type.String({ pattern: '^[0-9a-f]{64}$' });
export const OptionRef = Type.String({ minLength: 1, maxLength: 128 });

export function body<P extends TProperties>(properties: P) {
  return Type.Object(properties, { additionalProperties: false });
}

/** A free comment, optionally answering an earlier comment (a thread). */
export const comment: KindRule = {
  who: 'participant',
  body: body({ text: Text, target: Type.Optional(EventRef) }),
  check(b, ctx) {
    if (b.target !== undefined) ctx.target(b.target as string, ['comment']);
  },
};

export function checkOption(option: unknown, ctx: EventContext): void {
  if (typeof option === 'string' && !ctx.genesis.options.includes(option))
    throw new KithError(
      'CONVERSATION_BAD_BODY',
      `"${option}" is not one of the options of the conversation.`,
    );
}

export function badParams(detail: string): never {
  throw new KithError('CONVERSATION_BAD_PATTERN_PARAMS', detail);
}

/** The params as an object with only the allowed keys. */
export function paramObject(raw: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) badParams('The pattern parameters must be a map.');
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj))
    if (!allowed.includes(k))
      badParams(
        allowed.length === 0
          ? `This pattern takes no parameters (got "${k}").`
          : `Unknown parameter "${k}"; allowed: ${allowed.join(', ')}.`,
      );
  return obj;
}

export function noParams(raw: unknown): PatternParams {
  paramObject(raw, []);
  return {};
}

/** An optional whole-number parameter in [min, max]; null when absent. */
export function optionalInt(
  obj: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number | null {
  const v = obj[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    badParams(`"${name}" must be a whole number from ${min} to ${max}.`);
  return v;
}
