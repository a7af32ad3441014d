/**
 * Conversations (docs/API.md "Conversations"): create, list, show, post, vote, and record the
 * outcome (the consensus worker's call: the keys live in the agent). Values whose shape core
 * owns (a method's result, a tally, canonical values) are typed with core's types and passed
 * through as they are.
 */
import type { CanonicalValue } from '@kith/core/codec';
import type { DoneReason, Tally } from '@kith/core/consensus/index';
import Type from 'typebox';

const OptionName = Type.String({ minLength: 1, maxLength: 128 });
const Reason = Type.String({ minLength: 1, maxLength: 2000 });
/** Any JSON object, passed through as it is. */
const AnyObject = Type.Object({}, { additionalProperties: true });

export const ConversationIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{64}$' }) });

export const ConversationStatus = Type.Enum(['open', 'closed']);

export const ConversationsQuery = Type.Object({ status: Type.Optional(ConversationStatus) });

export const CreateConversationBody = Type.Object(
  {
    topic: Type.String({ minLength: 1, maxLength: 200 }),
    pattern: Type.String({ minLength: 1, maxLength: 32 }),
    patternParams: Type.Optional(Type.Unsafe<Record<string, CanonicalValue>>(AnyObject)),
    method: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    params: Type.Optional(Type.Unsafe<Record<string, CanonicalValue>>(AnyObject)),
    rule: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    options: Type.Optional(Type.Array(OptionName, { maxItems: 64 })),
    members: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 1024 }),
    /** ISO 8601 date-time, or ms since the epoch. */
    deadline: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Integer({ minimum: 0 })])),
    membership: Type.Optional(Type.Enum(['creator', 'members', 'fixed'])),
  },
  { additionalProperties: false },
);

/** A debate argument: for or against exactly one claim, an option or a position event (`target`). */
export const ArgumentBody = Type.Object(
  {
    side: Type.Enum(['for', 'against']),
    text: Type.String({ minLength: 1, maxLength: 4000 }),
    option: Type.Optional(OptionName),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);

export const PostBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 4000 }) },
  { additionalProperties: false },
);

/** Exactly one form per vote (checked by the agent). */
export const VoteBody = Type.Object(
  {
    choice: Type.Optional(OptionName),
    approve: Type.Optional(Type.Array(OptionName, { maxItems: 64 })),
    rank: Type.Optional(Type.Array(OptionName, { maxItems: 64 })),
    score: Type.Optional(Type.Record(Type.String(), Type.Integer())),
    dots: Type.Optional(Type.Record(Type.String(), Type.Integer())),
    rsvp: Type.Optional(Type.Enum(['yes', 'no', 'maybe'])),
    ack: Type.Optional(Type.Literal(true)),
    object: Type.Optional(Reason),
    block: Type.Optional(Reason),
    vote: Type.Optional(Type.Enum(['yes', 'no', 'abstain'])),
    apache: Type.Optional(
      Type.Object(
        { vote: Type.Union([Type.Literal(1), Type.Literal(0), Type.Literal(-1)]), binding: Type.Boolean() },
        { additionalProperties: false },
      ),
    ),
    withdraw: Type.Optional(Type.Literal(true)),
  },
  { additionalProperties: false },
);

export const MethodResult = Type.Object({
  /** Whether the proposal passed; winner methods: a winner exists. Provisional while not done. */
  passed: Type.Boolean(),
  /** Single-winner methods only. */
  winner: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  reason: Type.Unsafe<DoneReason>(Type.String()),
  /** Custom (CEL) rules: the evaluation error, if the rule failed at run time. */
  error: Type.Optional(Type.String()),
});

export const ConversationSummary = Type.Object({
  id: Type.String(),
  topic: Type.String(),
  pattern: Type.String(),
  method: Type.String(),
  status: ConversationStatus,
  creator: Type.String(),
  /** Eligible members (after membership changes). */
  members: Type.Array(Type.String()),
  options: Type.Array(Type.String()),
  deadline: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  closedAt: Type.Union([Type.String(), Type.Null()]),
  /** This device signed the genesis (its worker records the outcome first). */
  createdHere: Type.Boolean(),
});

/** A conversation in the list, with its activity (the web UI counts what is new from it). */
export const ConversationListItem = Type.Object({
  ...ConversationSummary.properties,
  /** Events held here (posts, votes, acknowledgements, …). */
  events: Type.Integer(),
  /** When the latest of them came in here (the creation time when none has). */
  lastActivityAt: Type.String(),
});

export const OutcomeView = Type.Object({
  id: Type.String(),
  result: MethodResult,
  heads: Type.Array(Type.String()),
  events: Type.Integer(),
  evaluatedAt: Type.String(),
  by: Type.Object({ userId: Type.String(), deviceId: Type.String() }),
  tallyDigest: Type.String(),
});

export const Disagreement = Type.Object({
  ...OutcomeView.properties,
  reason: Type.String(),
  detail: Type.String(),
  receivedAt: Type.String(),
});

export const TimelineEntry = Type.Object({
  id: Type.String(),
  author: Type.String(),
  kind: Type.String(),
  createdAt: Type.String(),
  body: Type.Unsafe<Readonly<Record<string, CanonicalValue>>>(AnyObject),
});

export const ConversationView = Type.Object({
  ...ConversationSummary.properties,
  patternParams: Type.Unsafe<Readonly<Record<string, CanonicalValue>>>(AnyObject),
  params: Type.Unsafe<CanonicalValue>(Type.Unknown()),
  /** The custom CEL rule (`--rule`), when the method is `cel`. */
  rule: Type.Union([Type.String(), Type.Null()]),
  membership: Type.String(),
  /** Accepted events. */
  events: Type.Integer(),
  heads: Type.Array(Type.String()),
  /** Items received before what they need (parents, genesis). */
  pending: Type.Integer(),
  /** Whether the method is satisfied now (open), or was when the outcome was evaluated. */
  done: Type.Boolean(),
  /** The result now (provisional while open), or the outcome's evaluation. */
  result: MethodResult,
  tally: Type.Unsafe<Tally>(AnyObject),
  outcome: Type.Union([OutcomeView, Type.Null()]),
  /** Valid outcomes for other heads that arrived after the one that closed it. */
  conflicts: Type.Array(OutcomeView),
  /** Outcomes whose re-evaluation here disagrees; never taken. */
  disagreements: Type.Array(Disagreement),
  timeline: Type.Array(TimelineEntry),
});

/** What the consensus worker needs to decide whether to record. */
export const ConversationEvaluation = Type.Object({
  id: Type.String(),
  status: ConversationStatus,
  done: Type.Boolean(),
  result: MethodResult,
  deadline: Type.Union([Type.String(), Type.Null()]),
  createdHere: Type.Boolean(),
  heads: Type.Array(Type.String()),
  events: Type.Integer(),
});

export const RecordedOutcome = Type.Object({
  /** False when the conversation was already closed (by this device or another). */
  recorded: Type.Boolean(),
  outcome: OutcomeView,
});
