/**
 * The genesis of a conversation (docs/DESIGN.md §8): topic, members (the eligible voters), message
 * pattern, consensus method, options, optional deadline and membership rule, signed by the
 * creating device under SIG.CONVERSATION_GENESIS. The conversation id is the hash of the signed
 * body (HASH.CONVERSATION_ID). A random nonce keeps two otherwise identical conversations apart.
 *
 * Format v1: { v, genesis: body bytes, sig }, body = GenesisBody below.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { CanonicalValue } from '../codec.ts';
import {
  type BallotKind,
  type BallotRules,
  type PreparedMethod,
  prepareMethod,
  tally,
} from '../consensus/index.ts';
import type { CryptoBackend, RandomSource } from '../crypto/backend.ts';
import { defaultBackend } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
import { defineFormat } from '../format.ts';
import type { SigningKeyPair } from '../identity/derive.ts';
import { parseId } from '../ids.ts';
import { SIG } from '../labels.ts';
import { signWithLabel, verifyWithLabel } from '../signing.ts';
import { type ConversationId, conversationIdOf } from './ids.ts';
import { CONVERSATION_LIMITS as L } from './limits.ts';
import type { Pattern, PatternParams } from './patterns/pattern.ts';
import { type PatternName, patternByName } from './patterns/registry.ts';

/** Whether a device belongs to a user: the identity log's answer, supplied by the caller. */
export type IsDeviceOf = (userId: string, deviceSigningKey: Uint8Array) => boolean;

/**
 * Who may change the membership (docs/CONSENSUS.md "Membership"):
 *  - 'creator' (default): the creator adds and removes;
 *  - 'members': any member (or the creator) adds; the creator removes;
 *  - 'fixed': nobody; the genesis members are final.
 * Under 'creator' and 'members' every member may also remove themselves (leave).
 */
export type MembershipRule = 'creator' | 'members' | 'fixed';

/** A user id as written by ids.ts: five groups of five Crockford base32 characters. */
export const UserIdString = Type.String({ pattern: '^[0-9a-hjkmnp-tv-z]{5}(-[0-9a-hjkmnp-tv-z]{5}){4}$' });
const Key32 = Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 });

const GenesisBody = Type.Object(
  {
    v: Type.Literal(1),
    topic: Type.String({ minLength: 1, maxLength: L.maxTopicLength }),
    creator: UserIdString,
    device: Key32,
    members: Type.Array(UserIdString, { minItems: 1, maxItems: L.maxMembers }),
    pattern: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 32 }),
        params: Type.Record(Type.String(), Type.Unknown()),
      },
      { additionalProperties: false },
    ),
    consensus: Type.Object(
      { method: Type.String({ minLength: 1, maxLength: 64 }), params: Type.Unknown() },
      { additionalProperties: false },
    ),
    options: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: L.maxOptions }),
    deadline: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    createdAt: Type.Integer({ minimum: 0 }),
    membership: Type.Union([Type.Literal('creator'), Type.Literal('members'), Type.Literal('fixed')]),
    nonce: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
  },
  { additionalProperties: false },
);
type GenesisBodyValue = Static<typeof GenesisBody>;

const GenesisBodyFormat = defineFormat('conversation-genesis-body', 1, L.maxGenesisBytes - 128, GenesisBody);

export const GenesisFormat = defineFormat(
  'conversation-genesis',
  1,
  L.maxGenesisBytes,
  Type.Object(
    {
      v: Type.Literal(1),
      genesis: Type.Uint8Array({ maxByteLength: L.maxGenesisBytes - 128 }),
      sig: Type.Uint8Array({ minByteLength: 64, maxByteLength: 64 }),
    },
    { additionalProperties: false },
  ),
);

/** The signed fields of a genesis, decoded. */
export interface GenesisFields {
  readonly id: ConversationId;
  readonly topic: string;
  readonly creator: string;
  readonly device: Uint8Array;
  readonly members: readonly string[];
  readonly pattern: { readonly name: PatternName; readonly params: Readonly<Record<string, CanonicalValue>> };
  readonly consensus: { readonly method: string; readonly params: CanonicalValue };
  readonly options: readonly string[];
  readonly deadline: number | null;
  readonly createdAt: number;
  readonly membership: MembershipRule;
  readonly nonce: Uint8Array;
}

/** A verified genesis with what every check needs prepared once. */
export interface Genesis extends GenesisFields {
  /** The signed bytes (store and send these). */
  readonly bytes: Uint8Array;
  readonly patternImpl: Pattern;
  readonly patternParams: PatternParams;
  readonly method: PreparedMethod;
  /** Ballot rules of the tally: the method's, plus the pattern's (an invitation's capacity). */
  readonly rules: Partial<BallotRules>;
}

export interface GenesisInput {
  topic: string;
  /** The creator's user id; `device` below must be one of their devices. */
  creator: string;
  members: readonly string[];
  pattern: string;
  patternParams?: Record<string, CanonicalValue>;
  /** A built-in method with its params, or a custom CEL rule (method `cel`, see consensusFromRule). */
  consensus: { method: string; params?: CanonicalValue } | { rule: string };
  options?: readonly string[];
  deadline?: number | null;
  createdAt: number;
  membership?: MembershipRule;
}

const OPTION_BALLOTS: readonly BallotKind[] = ['choice', 'approval', 'ranking', 'score', 'dots'];

/**
 * A bare CEL rule as a `cel` method: `done` is the rule, and it counts every ballot kind the
 * pattern allows. For `passed`, `winner` or ballot rules give method `cel` with full params.
 */
export function consensusFromRule(rule: string, pattern: string): { method: 'cel'; params: CanonicalValue } {
  return { method: 'cel', params: { done: rule, accepts: [...patternByName(pattern).ballotKinds] } };
}

function bad(detail: string): never {
  throw new KithError('CONVERSATION_BAD_GENESIS', detail);
}

/** Semantic checks and preparation shared by create and open. */
function prepare(body: GenesisBodyValue, bytes: Uint8Array, id: ConversationId): Genesis {
  for (const m of [body.creator, ...body.members]) {
    try {
      if (parseId(m) !== m) bad(`"${m}" is not a user id in its written form.`);
    } catch (e) {
      if (e instanceof KithError && e.code === 'ID_INVALID') bad(`"${m}" is not a valid user id.`);
      throw e;
    }
  }
  if (new Set(body.members).size !== body.members.length) bad('A member is listed twice.');
  if (body.deadline !== null && body.deadline <= body.createdAt)
    throw new KithError(
      'CONVERSATION_DEADLINE_IN_PAST',
      `${new Date(body.deadline).toISOString()} is not after ${new Date(body.createdAt).toISOString()}, when it was made.`,
    );
  const patternImpl = patternByName(body.pattern.name);
  const patternParams = patternImpl.validateParams(body.pattern.params);
  const method = prepareMethod({ method: body.consensus.method, params: body.consensus.params });
  if (!method.accepts.some((k) => patternImpl.ballotKinds.includes(k)))
    throw new KithError(
      'CONVERSATION_METHOD_MISMATCH',
      `"${method.method}" counts ${method.accepts.join(', ')}; a ${patternImpl.name} allows ${patternImpl.ballotKinds.join(', ')}.`,
    );
  if (method.ballotKind !== null && OPTION_BALLOTS.includes(method.ballotKind) && body.options.length < 2)
    bad(`"${method.method}" chooses among options: give at least two.`);
  const fields: GenesisFields = {
    id,
    topic: body.topic,
    creator: body.creator,
    device: body.device,
    members: body.members,
    pattern: {
      name: patternImpl.name as PatternName,
      params: body.pattern.params as Record<string, CanonicalValue>,
    },
    consensus: { method: body.consensus.method, params: body.consensus.params as CanonicalValue },
    options: body.options,
    deadline: body.deadline,
    createdAt: body.createdAt,
    membership: body.membership,
    nonce: body.nonce,
  };
  patternImpl.checkGenesis?.(fields, patternParams, method.rules);
  const rules = { ...method.rules, ...(patternImpl.rules?.(patternParams) ?? {}) };
  // A dry tally checks options, members, deadline and rules exactly as every evaluation will.
  tally({
    options: body.options,
    members: body.members,
    ballots: [],
    now: body.createdAt,
    deadline: body.deadline,
    seed: id,
    rules,
    accept: method.accepts,
  });
  return { ...fields, bytes, patternImpl, patternParams, method, rules };
}

/** Creates and signs a genesis on the creator's device; `random` gives the 16-byte nonce. */
export function createGenesis(
  input: GenesisInput,
  device: SigningKeyPair,
  random: RandomSource,
  backend: CryptoBackend = defaultBackend(),
): Genesis {
  const consensus =
    'rule' in input.consensus
      ? consensusFromRule(input.consensus.rule, input.pattern)
      : { method: input.consensus.method, params: input.consensus.params ?? null };
  const body: GenesisBodyValue = {
    v: 1,
    topic: input.topic,
    creator: input.creator,
    device: device.publicKey,
    members: [...input.members],
    pattern: { name: input.pattern, params: input.patternParams ?? {} },
    consensus,
    options: [...(input.options ?? [])],
    deadline: input.deadline ?? null,
    createdAt: input.createdAt,
    membership: input.membership ?? 'creator',
    nonce: random(16),
  };
  let bodyBytes: Uint8Array;
  try {
    bodyBytes = GenesisBodyFormat.encode(body);
  } catch (e) {
    if (e instanceof KithError && e.code === 'CODEC_SCHEMA') bad(e.detail ?? e.message);
    throw e;
  }
  const id = conversationIdOf(bodyBytes, backend);
  const prepared = prepare(body, new Uint8Array(0), id);
  const sig = signWithLabel(SIG.CONVERSATION_GENESIS, bodyBytes, device.seed, backend);
  return { ...prepared, bytes: GenesisFormat.encode({ v: 1, genesis: bodyBytes, sig }) };
}

/**
 * Decodes, verifies the signature and every rule of a received genesis. `isDeviceOf` says
 * whether the signing device belongs to the creator (CONVERSATION_UNKNOWN_DEVICE otherwise).
 */
export function openGenesis(
  bytes: Uint8Array,
  isDeviceOf: IsDeviceOf,
  backend: CryptoBackend = defaultBackend(),
): Genesis {
  const outer = GenesisFormat.decode(bytes);
  const body = GenesisBodyFormat.decode(outer.genesis);
  if (!verifyWithLabel(SIG.CONVERSATION_GENESIS, outer.sig, outer.genesis, body.device, backend))
    throw new KithError('CRYPTO_BAD_SIGNATURE', 'The conversation genesis is not signed by its device.');
  if (!isDeviceOf(body.creator, body.device))
    throw new KithError('CONVERSATION_UNKNOWN_DEVICE', 'The genesis device is not a device of its creator.');
  return prepare(body, bytes, conversationIdOf(outer.genesis, backend));
}
