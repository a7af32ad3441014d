/**
 * The rules every event must follow to be accepted (docs/DESIGN.md §8; docs/CONSENSUS.md
 * "Conversations and patterns"): its kind exists in the pattern, its body has the right form,
 * its author may post it (creator, member or either), and the kind's own checks pass. Votes
 * are common to all patterns: a ballot of a kind the pattern allows and the method counts (or
 * records), valid for the options and ballot rules, cast before the deadline.
 *
 * The context is the event's causal past only, so the verdict never depends on arrival order.
 */
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { assertBallot, type Ballot } from '../consensus/index.ts';
import { KithError } from '../errors.ts';
import type { Genesis } from './genesis.ts';
import { checkMembershipChange, isMembershipKind, MembershipBody } from './membership.ts';
import type { EventContext, KindRule } from './patterns/pattern.ts';

export const VOTE_KIND = 'vote';

const VoteBody = Type.Object(
  { ballot: Type.Object({ kind: Type.String() }, { additionalProperties: true }) },
  { additionalProperties: false },
);

export interface RuleContext extends EventContext {
  readonly genesis: Genesis;
  /** Membership of the causal past. */
  readonly members: ReadonlySet<string>;
}

function checkVote(body: Record<string, unknown>, ctx: RuleContext): void {
  const g = ctx.genesis;
  const ballot = body.ballot as Ballot;
  const pattern = g.patternImpl;
  if (ballot.kind !== 'withdraw') {
    if (!(pattern.ballotKinds as readonly string[]).includes(ballot.kind))
      throw new KithError(
        'CONVERSATION_VOTE_NOT_ALLOWED',
        `A ${pattern.name} takes these votes: ${pattern.ballotKinds.join(', ')}.`,
      );
    if (!g.method.accepts.includes(ballot.kind) && !pattern.recordedBallotKinds.includes(ballot.kind))
      throw new KithError(
        'CONVERSATION_VOTE_NOT_ALLOWED',
        `The method "${g.method.method}" counts these votes: ${g.method.accepts.join(', ')}.`,
      );
  }
  assertBallot(ballot, g.options, g.rules);
  if (g.deadline !== null && ctx.event.createdAt >= g.deadline)
    throw new KithError('CONVERSATION_DEADLINE_PASSED', 'Votes are cast before the deadline.');
  pattern.checkVote?.(ballot, ctx);
}

const voteRule: KindRule = { who: 'member', body: VoteBody, check: checkVote as KindRule['check'] };

const membershipRule: KindRule = {
  who: 'participant',
  body: MembershipBody,
  check: (_b, ctx) => checkMembershipChange(ctx.genesis, ctx.event, (ctx as RuleContext).members),
};

export function ruleFor(genesis: Genesis, kind: string): KindRule {
  if (kind === VOTE_KIND) return voteRule;
  if (isMembershipKind(kind)) return membershipRule;
  const rule = Object.hasOwn(genesis.patternImpl.kinds, kind) ? genesis.patternImpl.kinds[kind] : undefined;
  if (rule === undefined)
    throw new KithError(
      'CONVERSATION_UNKNOWN_KIND',
      `A ${genesis.patternImpl.name} has: ${[...Object.keys(genesis.patternImpl.kinds), VOTE_KIND, 'member-add', 'member-remove'].join(', ')}.`,
    );
  return rule;
}

/** Throws the KithError of the first rule the event breaks. */
export function checkEventRules(ctx: RuleContext): void {
  const { event, genesis } = ctx;
  const rule = ruleFor(genesis, event.kind);
  if (!Value.Check(rule.body, event.body)) {
    const first = Value.Errors(rule.body, event.body).First();
    throw new KithError(
      'CONVERSATION_BAD_BODY',
      `"${event.kind}": ${first ? `${first.path || '/'} ${first.message}` : 'invalid'}.`,
    );
  }
  if (!ctx.isCreator && !ctx.isMember)
    throw new KithError('CONVERSATION_NOT_A_MEMBER', 'Only members and the creator take part.');
  if (rule.who === 'creator' && !ctx.isCreator)
    throw new KithError('CONVERSATION_CREATOR_ONLY', `"${event.kind}".`);
  if (rule.who === 'member' && !ctx.isMember)
    throw new KithError('CONVERSATION_NOT_A_MEMBER', `Only members may post "${event.kind}".`);
  rule.check?.(event.body as Record<string, unknown>, ctx);
}
