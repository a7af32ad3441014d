import { describe, expect, it } from 'vitest';
import { Conversation } from '../../src/conversation/conversation.ts';
import { alice, bob, carol, codeOf, conversationOf, dave, erin, isDeviceOf, T0, vote } from './helpers.ts';

const yes = vote({ kind: 'yes-no', vote: 'yes' });
const add = (p: { userId: string }) => ({ user: p.userId });

describe('membership rule "creator" (the default)', () => {
  it('the creator adds and removes; members may leave; nobody else changes it', () => {
    const c = conversationOf();
    expect(codeOf(() => c.post(dave, 'vote', yes, T0 + 1))).toBe('CONVERSATION_NOT_A_MEMBER');
    expect(codeOf(() => c.post(bob, 'member-add', add(dave), T0 + 1))).toBe('CONVERSATION_MEMBERSHIP_DENIED');
    c.post(alice, 'member-add', add(dave), T0 + 1);
    expect(codeOf(() => c.post(alice, 'member-add', add(dave), T0 + 2))).toBe(
      'CONVERSATION_MEMBERSHIP_NO_CHANGE',
    );
    c.post(dave, 'vote', yes, T0 + 2);
    expect(codeOf(() => c.post(bob, 'member-remove', add(carol), T0 + 3))).toBe(
      'CONVERSATION_MEMBERSHIP_DENIED',
    );
    c.post(bob, 'member-remove', add(bob), T0 + 3);
    expect(codeOf(() => c.post(bob, 'vote', yes, T0 + 4))).toBe('CONVERSATION_NOT_A_MEMBER');
    expect(codeOf(() => c.post(alice, 'member-remove', add(bob), T0 + 4))).toBe(
      'CONVERSATION_MEMBERSHIP_NO_CHANGE',
    );
    expect(codeOf(() => c.post(alice, 'member-add', { user: 'someone' }, T0 + 4))).toBe(
      'CONVERSATION_BAD_BODY',
    );
    const ev = c.evaluate(T0 + 5);
    expect(ev.members).toEqual([alice.userId, carol.userId, dave.userId].sort());
    expect(ev.tally.eligible).toBe(3);
    expect(ev.tally.yesNo.yes).toBe(1);
    expect(c.members()).toEqual(ev.members);
  });
});

describe('membership rule "members"', () => {
  it('any member adds; only the creator removes others', () => {
    const c = conversationOf({ membership: 'members' });
    c.post(bob, 'member-add', add(dave), T0 + 1);
    c.post(dave, 'member-add', add(erin), T0 + 2);
    expect(codeOf(() => c.post(bob, 'member-remove', add(carol), T0 + 3))).toBe(
      'CONVERSATION_MEMBERSHIP_DENIED',
    );
    c.post(alice, 'member-remove', add(carol), T0 + 3);
    expect(c.members()).toEqual([alice.userId, bob.userId, dave.userId, erin.userId].sort());
  });
});

describe('membership rule "fixed"', () => {
  it('nobody changes it, not even by leaving', () => {
    const c = conversationOf({ membership: 'fixed' });
    expect(codeOf(() => c.post(alice, 'member-add', add(dave), T0 + 1))).toBe(
      'CONVERSATION_MEMBERSHIP_DENIED',
    );
    expect(codeOf(() => c.post(bob, 'member-remove', add(bob), T0 + 1))).toBe(
      'CONVERSATION_MEMBERSHIP_DENIED',
    );
  });
});

describe('eligibility follows the canonical order', () => {
  it('a removal clears the removed member’s ballots; after re-adding, they vote again', () => {
    const c = conversationOf();
    const ballot = c.post(bob, 'vote', yes, T0 + 1);
    c.post(alice, 'member-remove', add(bob), T0 + 2);
    c.post(alice, 'member-add', add(bob), T0 + 3);
    const ev = c.evaluate(T0 + 4);
    expect(ev.members).toContain(bob.userId);
    expect(ev.tally.voters).toEqual([]);
    expect(ev.skipped).toEqual([{ event: ballot.id, voter: bob.userId, reason: 'removed' }]);
    c.post(bob, 'vote', yes, T0 + 5);
    expect(c.evaluate(T0 + 6).tally.voters).toEqual([bob.userId]);
  });

  it('a ballot concurrent with its author’s removal is accepted but never counted, in either order', () => {
    // Many conversations, so both orders of the two concurrent events (by id) occur.
    const reasons = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const a = conversationOf({ topic: `concurrent ${i}` });
      const b = new Conversation(a.genesis, { isDeviceOf });
      const removal = a.post(alice, 'member-remove', add(bob), T0 + 1);
      const ballot = b.post(bob, 'vote', yes, T0 + 1);
      expect(a.receive(ballot.bytes).status).toBe('added');
      expect(b.receive(removal.bytes).status).toBe('added');
      const ea = a.evaluate(T0 + 2);
      const eb = b.evaluate(T0 + 2);
      expect(ea.tallyDigest).toBe(eb.tallyDigest);
      expect(ea.tally.voters).toEqual([]);
      expect(ea.members).not.toContain(bob.userId);
      const expected = removal.id < ballot.id ? 'not-a-member' : 'removed';
      expect(ea.skipped).toEqual([{ event: ballot.id, voter: bob.userId, reason: expected }]);
      reasons.add(expected);
      // Once bob has seen his removal, he can no longer vote.
      expect(codeOf(() => b.post(bob, 'vote', yes, T0 + 3))).toBe('CONVERSATION_NOT_A_MEMBER');
    }
    expect(reasons.size).toBe(2);
  });
});
