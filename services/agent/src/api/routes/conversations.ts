/**
 * Conversations (DESIGN §8, §12; docs/API.md "Conversations"): create, list, show, post, vote,
 * and record the outcome (the consensus worker's call: the keys live in the agent).
 */
import type { CanonicalValue } from '@kith/core/codec';
import type { MembershipRule } from '@kith/core/conversation/index';
import { KithError } from '@kith/core/errors';
import Type from 'typebox';
import type { VoteForm } from '../../conversations/ballot-form.ts';
import type { ConversationService } from '../../conversations/service.ts';
import type { ApiPlugin } from '../context.ts';

const Id = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{64}$' }) });
const OptionName = Type.String({ minLength: 1, maxLength: 128 });
const Reason = Type.String({ minLength: 1, maxLength: 2000 });

const CreateBody = Type.Object(
  {
    topic: Type.String({ minLength: 1, maxLength: 200 }),
    pattern: Type.String({ minLength: 1, maxLength: 32 }),
    patternParams: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    method: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    rule: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    options: Type.Optional(Type.Array(OptionName, { maxItems: 64 })),
    members: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 1024 }),
    /** ISO 8601 date-time, or ms since the epoch. */
    deadline: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Integer({ minimum: 0 })])),
    membership: Type.Optional(Type.Enum(['creator', 'members', 'fixed'])),
  },
  { additionalProperties: false },
);

const VoteBody = Type.Object(
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

interface CreateBodyValue {
  topic: string;
  pattern: string;
  patternParams?: Record<string, CanonicalValue>;
  method?: string;
  params?: Record<string, CanonicalValue>;
  rule?: string;
  options?: string[];
  members: string[];
  deadline?: string | number;
  membership?: MembershipRule;
}

/** An ISO date-time (or ms since the epoch) as ms since the epoch. */
export function parseDeadline(value: string | number | undefined): number | null {
  if (value === undefined) return null;
  if (typeof value === 'number') return value;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new KithError('INVALID_INPUT', `The deadline "${value}" is not a date and time (ISO 8601).`);
  return ms;
}

export function conversationRoutes(service: ConversationService): ApiPlugin {
  return async (app) => {
    app.post(
      '/conversations',
      {
        schema: {
          summary: 'Create a conversation: topic, pattern, method (or custom CEL rule), options, members.',
          tags: ['conversations'],
          body: CreateBody,
        },
      },
      async (request) => {
        const b = request.body as CreateBodyValue;
        return service.create({ ...b, deadline: parseDeadline(b.deadline) });
      },
    );

    app.get(
      '/conversations',
      {
        schema: {
          summary: 'Conversations on this device (topic, pattern, method, status, deadline).',
          tags: ['conversations'],
          querystring: Type.Object({ status: Type.Optional(Type.Enum(['open', 'closed'])) }),
        },
      },
      async (request) => service.list((request.query as { status?: 'open' | 'closed' }).status),
    );

    app.get(
      '/conversations/:id',
      {
        schema: {
          summary:
            'One conversation: pattern, tally, status, outcome, conflicts and disagreements, timeline.',
          tags: ['conversations'],
          params: Id,
        },
      },
      async (request) => service.show((request.params as { id: string }).id),
    );

    app.get(
      '/conversations/:id/evaluation',
      {
        schema: {
          summary: 'Whether the method is done now (for the consensus worker).',
          tags: ['conversations'],
          params: Id,
        },
      },
      async (request) => service.evaluation((request.params as { id: string }).id),
    );

    app.post(
      '/conversations/:id/posts',
      {
        schema: {
          summary: 'Post a text (a post, position, comment, announcement or details, as the pattern says).',
          tags: ['conversations'],
          params: Id,
          body: Type.Object(
            { text: Type.String({ minLength: 1, maxLength: 4000 }) },
            { additionalProperties: false },
          ),
        },
      },
      async (request) =>
        service.post((request.params as { id: string }).id, (request.body as { text: string }).text),
    );

    app.post(
      '/conversations/:id/votes',
      {
        schema: {
          summary:
            'Vote: exactly one of choice, approve, rank, score, dots, rsvp, ack, object, block, vote, apache, withdraw.',
          tags: ['conversations'],
          params: Id,
          body: VoteBody,
        },
      },
      async (request) => service.vote((request.params as { id: string }).id, request.body as VoteForm),
    );

    app.post(
      '/conversations/:id/outcome',
      {
        schema: {
          summary:
            'Record the signed outcome if the method is done now (409 CONVERSATION_NOT_DONE otherwise).',
          tags: ['conversations'],
          params: Id,
        },
      },
      async (request) => service.recordOutcome((request.params as { id: string }).id),
    );
  };
}
