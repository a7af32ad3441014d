/**
 * The outcome record (docs/DESIGN.md §8): once the method's predicate is true, the evaluating device
 * signs (SIG.CONVERSATION_OUTCOME) the exact heads it evaluated, the time it evaluated at, the
 * method, the result and the digest of the tally. Any member re-evaluates the events up to those
 * heads at that time and must reach the same record (verifyOutcome); a disagreement is
 * reported, never silently accepted or overwritten.
 *
 * Format v1: { v, outcome: body bytes, sig }. The outcome id is the hash of the body.
 */
import { Type } from '@sinclair/typebox';
import { encodeCanonical } from '../codec.ts';
import type { MethodResult } from '../consensus/index.ts';
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend, fromHex, toHex } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
import { defineFormat } from '../format.ts';
import type { SigningKeyPair } from '../identity/derive.ts';
import { SIG } from '../labels.ts';
import { signWithLabel, verifyWithLabel } from '../signing.ts';
import { addAll, ConversationDag } from './dag.ts';
import { canonicalJson, type Evaluation, evaluateDag } from './evaluate.ts';
import type { ConversationEvent } from './event.ts';
import { type Genesis, type IsDeviceOf, UserIdString } from './genesis.ts';
import { compareHex, type ConversationId, type EventId, outcomeIdOf } from './ids.ts';
import { CONVERSATION_LIMITS as L } from './limits.ts';

const Key32 = Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 });
const BODY_MAX = L.maxOutcomeBytes - 128;
/** Heads an outcome may name (concurrent branches left open at evaluation). */
export const MAX_OUTCOME_HEADS = 128;
/** Default tolerance for a recorder's clock ahead of the verifier's. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;

const OutcomeBodyFormat = defineFormat(
  'conversation-outcome-body',
  1,
  BODY_MAX,
  Type.Object(
    {
      v: Type.Literal(1),
      conversation: Key32,
      author: UserIdString,
      device: Key32,
      heads: Type.Array(Key32, { minItems: 1, maxItems: MAX_OUTCOME_HEADS }),
      events: Type.Integer({ minimum: 0 }),
      evaluatedAt: Type.Integer({ minimum: 0 }),
      method: Type.String({ minLength: 1, maxLength: 64 }),
      result: Type.Record(Type.String(), Type.Unknown()),
      tally: Key32,
    },
    { additionalProperties: false },
  ),
);

export const OutcomeFormat = defineFormat(
  'conversation-outcome',
  1,
  L.maxOutcomeBytes,
  Type.Object(
    {
      v: Type.Literal(1),
      outcome: Type.Uint8Array({ maxByteLength: BODY_MAX }),
      sig: Type.Uint8Array({ minByteLength: 64, maxByteLength: 64 }),
    },
    { additionalProperties: false },
  ),
);

export interface OutcomeRecord {
  readonly id: string;
  readonly conversation: ConversationId;
  /** The user whose device evaluated and signed. */
  readonly author: string;
  readonly device: Uint8Array;
  /** Ascending; the conversation id when no event was evaluated. */
  readonly heads: readonly EventId[];
  readonly events: number;
  readonly evaluatedAt: number;
  readonly method: string;
  readonly result: MethodResult;
  /** Hex digest of the canonical tally. */
  readonly tallyDigest: string;
  readonly bytes: Uint8Array;
}

function toRecord(bytes: Uint8Array, bodyBytes: Uint8Array, backend: CryptoBackend): OutcomeRecord {
  const b = OutcomeBodyFormat.decode(bodyBytes);
  const heads = b.heads.map((h) => toHex(h));
  for (let i = 1; i < heads.length; i++)
    if (compareHex(heads[i - 1]!, heads[i]!) >= 0)
      throw new KithError('CONVERSATION_OUTCOME_INVALID', 'Its heads must be ascending without repeats.');
  return {
    id: outcomeIdOf(bodyBytes, backend),
    conversation: toHex(b.conversation),
    author: b.author,
    device: b.device,
    heads,
    events: b.events,
    evaluatedAt: b.evaluatedAt,
    method: b.method,
    result: b.result as unknown as MethodResult,
    tallyDigest: toHex(b.tally),
    bytes,
  };
}

/** Signs the outcome of an evaluation whose predicate is true (else CONVERSATION_NOT_DONE). */
export function createOutcome(
  genesis: Genesis,
  evaluation: Evaluation,
  signer: { userId: string; device: SigningKeyPair },
  backend: CryptoBackend = defaultBackend(),
): OutcomeRecord {
  if (evaluation.conversation !== genesis.id)
    throw new KithError('CONVERSATION_WRONG_CONVERSATION', 'The evaluation is of another conversation.');
  if (!evaluation.done) throw new KithError('CONVERSATION_NOT_DONE');
  if (evaluation.heads.length > MAX_OUTCOME_HEADS)
    throw new KithError(
      'CONVERSATION_TOO_LARGE',
      `More than ${MAX_OUTCOME_HEADS} open branches: post an event that follows them first.`,
    );
  const body = OutcomeBodyFormat.encode({
    v: 1,
    conversation: fromHex(genesis.id),
    author: signer.userId,
    device: signer.device.publicKey,
    heads: evaluation.heads.map((h) => fromHex(h)),
    events: evaluation.events,
    evaluatedAt: evaluation.now,
    method: evaluation.method,
    result: canonicalJson(evaluation.result) as Record<string, never>,
    tally: fromHex(evaluation.tallyDigest),
  });
  const sig = signWithLabel(SIG.CONVERSATION_OUTCOME, body, signer.device.seed, backend);
  return toRecord(OutcomeFormat.encode({ v: 1, outcome: body, sig }), body, backend);
}

/** Decodes and checks the signature (CRYPTO_BAD_SIGNATURE); verifyOutcome checks the content. */
export function openOutcome(bytes: Uint8Array, backend: CryptoBackend = defaultBackend()): OutcomeRecord {
  const outer = OutcomeFormat.decode(bytes);
  const body = OutcomeBodyFormat.decode(outer.outcome);
  if (!verifyWithLabel(SIG.CONVERSATION_OUTCOME, outer.sig, outer.outcome, body.device, backend))
    throw new KithError('CRYPTO_BAD_SIGNATURE', 'The outcome is not signed by the device it names.');
  return toRecord(bytes, outer.outcome, backend);
}

export type DisagreeReason =
  | 'conversation'
  | 'signer'
  | 'from-the-future'
  | 'heads'
  | 'not-done'
  | 'method'
  | 'result'
  | 'tally'
  | 'events';

export type OutcomeVerdict =
  | { verdict: 'agree'; evaluation: Evaluation }
  | { verdict: 'disagree'; reason: DisagreeReason; detail: string; evaluation: Evaluation | null }
  /** Events up to the heads are not all here yet: fetch them and verify again. */
  | { verdict: 'missing'; missing: EventId[] };

export interface VerifyOutcomeOptions {
  isDeviceOf: IsDeviceOf;
  /** The verifier's clock: an outcome evaluated later than now + maxClockSkewMs is refused. */
  now: number;
  maxClockSkewMs?: number;
  backend?: CryptoBackend;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Re-evaluates the events up to the outcome's heads at its evaluation time and compares.
 * `events` may hold more than the outcome evaluated (later or concurrent events are ignored).
 */
export function verifyOutcome(
  genesis: Genesis,
  events: Iterable<ConversationEvent>,
  outcome: OutcomeRecord,
  options: VerifyOutcomeOptions,
): OutcomeVerdict {
  const backend = options.backend ?? defaultBackend();
  const disagree = (reason: DisagreeReason, detail: string, evaluation: Evaluation | null = null) =>
    ({ verdict: 'disagree', reason, detail, evaluation }) as const;
  if (outcome.conversation !== genesis.id) return disagree('conversation', 'It is of another conversation.');
  if (!options.isDeviceOf(outcome.author, outcome.device))
    return disagree('signer', 'Its device is not a device of its author.');
  if (outcome.evaluatedAt > options.now + (options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS))
    return disagree('from-the-future', 'It claims an evaluation time still to come.');

  const all = new ConversationDag(genesis);
  addAll(all, events);
  const heads = outcome.heads.filter((h) => h !== genesis.id);
  if (heads.length !== outcome.heads.length && outcome.heads.length !== 1)
    return disagree('heads', 'The genesis is a head only when nothing follows it.');
  const missing = heads.filter((h) => !all.has(h));
  if (missing.length > 0) return { verdict: 'missing', missing };
  const evaluated = all.ancestry(heads);
  const dag = new ConversationDag(genesis);
  addAll(
    dag,
    all.ordered().filter((e) => evaluated.has(e.id)),
  );
  const evaluation = evaluateDag(dag, outcome.evaluatedAt, backend);

  if (evaluation.heads.join() !== outcome.heads.join())
    return disagree('heads', 'Some heads it names precede others.', evaluation);
  if (evaluation.events !== outcome.events)
    return disagree(
      'events',
      `It counts ${outcome.events} events; there are ${evaluation.events}.`,
      evaluation,
    );
  if (outcome.author !== genesis.creator && !evaluation.members.includes(outcome.author))
    return disagree('signer', 'Its author is neither the creator nor a member.', evaluation);
  if (!evaluation.done)
    return disagree('not-done', 'The method is not satisfied at those heads.', evaluation);
  if (outcome.method !== evaluation.method)
    return disagree(
      'method',
      `It names "${outcome.method}"; the conversation uses "${evaluation.method}".`,
      evaluation,
    );
  if (
    !sameBytes(
      encodeCanonical(canonicalJson(outcome.result)),
      encodeCanonical(canonicalJson(evaluation.result)),
    )
  )
    return disagree('result', 'Its result differs from the re-evaluation.', evaluation);
  if (outcome.tallyDigest !== evaluation.tallyDigest)
    return disagree('tally', 'Its tally digest differs from the re-evaluation.', evaluation);
  return { verdict: 'agree', evaluation };
}
