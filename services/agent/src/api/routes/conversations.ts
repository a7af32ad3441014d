/**
 * Conversations (docs/API.md "Conversations"): create, list, show, post, vote, and record the
 * outcome (the consensus worker's call: the keys live in the agent).
 */
import { ROUTES } from '@kith/api/routes';
import type { MembershipRule } from '@kith/core/conversation/index';
import { KithError } from '@kith/core/errors';
import type { ConversationService } from '../../conversations/service.ts';
import type { ApiPlugin } from '../context.ts';

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
      ROUTES.createConversation.path,
      {
        schema: {
          summary: 'Create a conversation: topic, pattern, method (or custom CEL rule), options, members.',
          tags: ['conversations'],
          body: ROUTES.createConversation.body,
          response: { 200: ROUTES.createConversation.response },
        },
      },
      async (request) => {
        const b = request.body;
        return service.create({
          ...b,
          membership: b.membership as MembershipRule | undefined,
          deadline: parseDeadline(b.deadline),
        });
      },
    );

    app.get(
      ROUTES.conversations.path,
      {
        schema: {
          summary: 'Conversations on this device (topic, pattern, method, status, deadline).',
          tags: ['conversations'],
          querystring: ROUTES.conversations.query,
          response: { 200: ROUTES.conversations.response },
        },
      },
      async (request) => service.list(request.query.status),
    );

    app.get(
      ROUTES.conversation.path,
      {
        schema: {
          summary:
            'One conversation: pattern, tally, status, outcome, conflicts and disagreements, timeline.',
          tags: ['conversations'],
          params: ROUTES.conversation.params,
          response: { 200: ROUTES.conversation.response },
        },
      },
      async (request) => service.show(request.params.id),
    );

    app.get(
      ROUTES.evaluation.path,
      {
        schema: {
          summary: 'Whether the method is done now (for the consensus worker).',
          tags: ['conversations'],
          params: ROUTES.evaluation.params,
          response: { 200: ROUTES.evaluation.response },
        },
      },
      async (request) => service.evaluation(request.params.id),
    );

    app.post(
      ROUTES.post.path,
      {
        schema: {
          summary: 'Post a text (a post, position, comment, announcement or details, as the pattern says).',
          tags: ['conversations'],
          params: ROUTES.post.params,
          body: ROUTES.post.body,
          response: { 200: ROUTES.post.response },
        },
      },
      async (request) => service.post(request.params.id, request.body.text),
    );

    app.post(
      ROUTES.argue.path,
      {
        schema: {
          summary: 'A debate argument: for or against one claim, an option or a position (`target`).',
          tags: ['conversations'],
          params: ROUTES.argue.params,
          body: ROUTES.argue.body,
          response: { 200: ROUTES.argue.response },
        },
      },
      async (request) => service.argue(request.params.id, request.body),
    );

    app.post(
      ROUTES.vote.path,
      {
        schema: {
          summary:
            'Vote: exactly one of choice, approve, rank, score, dots, rsvp, ack, object, block, vote, apache, withdraw.',
          tags: ['conversations'],
          params: ROUTES.vote.params,
          body: ROUTES.vote.body,
          response: { 200: ROUTES.vote.response },
        },
      },
      async (request) => service.vote(request.params.id, request.body),
    );

    app.post(
      ROUTES.recordOutcome.path,
      {
        schema: {
          summary:
            'Record the signed outcome if the method is done now (409 CONVERSATION_NOT_DONE otherwise).',
          tags: ['conversations'],
          params: ROUTES.recordOutcome.params,
          response: { 200: ROUTES.recordOutcome.response },
        },
      },
      async (request) => service.recordOutcome(request.params.id),
    );
  };
}
