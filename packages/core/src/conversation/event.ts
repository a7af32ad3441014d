/**
 * A conversation event (docs/DESIGN.md §8): { conversation, author, author device key, kind, body,
 * parents, createdAt }, signed by the device under SIG.CONVERSATION_EVENT. Its id is the hash
 * of the signed body (HASH.CONVERSATION_EVENT_ID). `parents` are the heads the author saw, in
 * ascending byte order without repeats; the first events name the genesis (the conversation id).
 *
 * Format v1: { v, event: body bytes, sig }. Opening an event checks its form and signature
 * only; the rules of the conversation are checked by the DAG (dag.ts, rules.ts).
 */
import { Type } from '@sinclair/typebox';
import type { CanonicalValue } from '../codec.ts';
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend, fromHex, toHex } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
import { defineFormat } from '../format.ts';
import type { SigningKeyPair } from '../identity/derive.ts';
import { SIG } from '../labels.ts';
import { signWithLabel, verifyWithLabel } from '../signing.ts';
import { UserIdString } from './genesis.ts';
import { type ConversationId, compareHex, type EventId, eventIdOf, HEX_ID } from './ids.ts';
import { CONVERSATION_LIMITS as L } from './limits.ts';

const Key32 = Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 });
const BODY_MAX = L.maxEventBytes - 128;

const EventBodyFormat = defineFormat(
  'conversation-event-body',
  1,
  BODY_MAX,
  Type.Object(
    {
      v: Type.Literal(1),
      conversation: Key32,
      author: UserIdString,
      device: Key32,
      kind: Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z][a-z0-9-]*$' }),
      body: Type.Record(Type.String(), Type.Unknown()),
      parents: Type.Array(Key32, { minItems: 1, maxItems: L.maxParents }),
      createdAt: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
);

export const EventFormat = defineFormat(
  'conversation-event',
  1,
  L.maxEventBytes,
  Type.Object(
    {
      v: Type.Literal(1),
      event: Type.Uint8Array({ maxByteLength: BODY_MAX }),
      sig: Type.Uint8Array({ minByteLength: 64, maxByteLength: 64 }),
    },
    { additionalProperties: false },
  ),
);

export interface ConversationEvent {
  readonly id: EventId;
  readonly conversation: ConversationId;
  readonly author: string;
  /** The author's device signing key that signed the event. */
  readonly device: Uint8Array;
  readonly kind: string;
  readonly body: Readonly<Record<string, CanonicalValue>>;
  /** Ascending hex ids; the conversation id for a first event. */
  readonly parents: readonly EventId[];
  /** The author's clock, ms since the epoch: a claim, used only for the deadline of votes. */
  readonly createdAt: number;
  /** The signed bytes (store and send these). */
  readonly bytes: Uint8Array;
}

export interface EventDraft {
  conversation: ConversationId;
  author: string;
  kind: string;
  body: Record<string, CanonicalValue>;
  /** Any order; sorted and de-duplicated here. */
  parents: readonly EventId[];
  createdAt: number;
}

function parentBytes(parents: readonly string[]): Uint8Array[] {
  const sorted = [...new Set(parents)].sort(compareHex);
  for (const p of sorted)
    if (!HEX_ID.test(p)) throw new KithError('CONVERSATION_BAD_PARENTS', 'A parent is not an event id.');
  return sorted.map((p) => fromHex(p));
}

export function signEvent(
  draft: EventDraft,
  device: SigningKeyPair,
  backend: CryptoBackend = defaultBackend(),
): ConversationEvent {
  if (!HEX_ID.test(draft.conversation))
    throw new KithError('CONVERSATION_WRONG_CONVERSATION', 'The conversation id is not valid.');
  let body: Uint8Array;
  try {
    body = EventBodyFormat.encode({
      v: 1,
      conversation: fromHex(draft.conversation),
      author: draft.author,
      device: device.publicKey,
      kind: draft.kind,
      body: draft.body,
      parents: parentBytes(draft.parents),
      createdAt: draft.createdAt,
    });
  } catch (e) {
    if (e instanceof KithError && e.code === 'CODEC_SCHEMA')
      throw new KithError('CONVERSATION_BAD_BODY', e.detail, { cause: e });
    throw e;
  }
  const sig = signWithLabel(SIG.CONVERSATION_EVENT, body, device.seed, backend);
  return toEvent(EventFormat.encode({ v: 1, event: body, sig }), body, EventBodyFormat.decode(body), backend);
}

function toEvent(
  bytes: Uint8Array,
  bodyBytes: Uint8Array,
  b: ReturnType<typeof EventBodyFormat.decode>,
  backend: CryptoBackend,
): ConversationEvent {
  const parents = b.parents.map((p) => toHex(p));
  for (let i = 1; i < parents.length; i++)
    if (compareHex(parents[i - 1]!, parents[i]!) >= 0)
      throw new KithError('CONVERSATION_BAD_PARENTS', 'Parents must be in ascending order without repeats.');
  return {
    id: eventIdOf(bodyBytes, backend),
    conversation: toHex(b.conversation),
    author: b.author,
    device: b.device,
    kind: b.kind,
    body: b.body as Record<string, CanonicalValue>,
    parents,
    createdAt: b.createdAt,
    bytes,
  };
}

/** Decodes and verifies the signature (not the rules: see ConversationDag). */
export function openEvent(bytes: Uint8Array, backend: CryptoBackend = defaultBackend()): ConversationEvent {
  const outer = EventFormat.decode(bytes);
  const body = EventBodyFormat.decode(outer.event);
  if (!verifyWithLabel(SIG.CONVERSATION_EVENT, outer.sig, outer.event, body.device, backend))
    throw new KithError('CRYPTO_BAD_SIGNATURE', 'The event is not signed by the device it names.');
  return toEvent(bytes, outer.event, body, backend);
}
