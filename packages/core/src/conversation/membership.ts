/**
 * Membership changes by rule (docs/DESIGN.md §8; docs/CONSENSUS.md "Membership"). `member-add` and
 * `member-remove` events name one user. Who may post them is the genesis membership rule
 * (genesis.ts, MembershipRule); a member may always leave unless the membership is fixed.
 *
 * Two readings of the same events:
 *  - accepting an event: the membership of its causal past decides (order-independent);
 *  - counting: the membership replayed in canonical order decides whose ballots count and who
 *    is eligible (a ballot that sorts after its author's removal is not counted; a removal
 *    clears the removed member's ballots).
 * In a replay, an add of a member or a removal of a non-member (concurrent duplicates) changes
 * nothing.
 */
import { Type } from '@sinclair/typebox';
import { KithError } from '../errors.ts';
import type { ConversationEvent } from './event.ts';
import type { GenesisFields } from './genesis.ts';
import { UserIdString } from './genesis.ts';
import { CONVERSATION_LIMITS } from './limits.ts';

export const MEMBERSHIP_KINDS = ['member-add', 'member-remove'] as const;
export type MembershipKind = (typeof MEMBERSHIP_KINDS)[number];

export const MembershipBody = Type.Object({ user: UserIdString }, { additionalProperties: false });

export function isMembershipKind(kind: string): kind is MembershipKind {
  return (MEMBERSHIP_KINDS as readonly string[]).includes(kind);
}

/** Applies one membership event to `members` in place (replay semantics: never throws). */
export function applyMembership(members: Set<string>, event: ConversationEvent): void {
  const user = event.body.user as string;
  if (event.kind === 'member-add') members.add(user);
  else if (event.kind === 'member-remove') members.delete(user);
}

/** Members after replaying `log` (membership events, canonical order) over the genesis members. */
export function replayMembership(genesis: GenesisFields, log: readonly ConversationEvent[]): Set<string> {
  const members = new Set(genesis.members);
  for (const e of log) applyMembership(members, e);
  return members;
}

/** Whether `event` (a membership kind with a valid body) may be posted given its causal past. */
export function checkMembershipChange(
  genesis: GenesisFields,
  event: ConversationEvent,
  members: ReadonlySet<string>,
): void {
  const user = event.body.user as string;
  const isCreator = event.author === genesis.creator;
  const isMember = members.has(event.author);
  if (genesis.membership === 'fixed')
    throw new KithError('CONVERSATION_MEMBERSHIP_DENIED', 'The membership of this conversation is fixed.');
  if (event.kind === 'member-add') {
    if (!isCreator && !(genesis.membership === 'members' && isMember))
      throw new KithError(
        'CONVERSATION_MEMBERSHIP_DENIED',
        genesis.membership === 'members'
          ? 'Only members and the creator add members.'
          : 'Only the creator adds members.',
      );
    if (members.has(user)) throw new KithError('CONVERSATION_MEMBERSHIP_NO_CHANGE', 'Already a member.');
    if (members.size >= CONVERSATION_LIMITS.maxMembers)
      throw new KithError('CONVERSATION_TOO_LARGE', `At most ${CONVERSATION_LIMITS.maxMembers} members.`);
    return;
  }
  const leaving = user === event.author;
  if (!isCreator && !(leaving && isMember))
    throw new KithError(
      'CONVERSATION_MEMBERSHIP_DENIED',
      'Only the creator removes members; a member may leave.',
    );
  if (!members.has(user)) throw new KithError('CONVERSATION_MEMBERSHIP_NO_CHANGE', 'Not a member.');
}
