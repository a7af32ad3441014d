import { describe, expect, it } from 'vitest';
import { Conversation } from '../../src/conversation/conversation.ts';
import { signEvent } from '../../src/conversation/event.ts';
import { PATTERN_NAMES, TEXT_KIND } from '../../src/conversation/patterns/registry.ts';
import { alice, bob, carol, codeOf, conversationOf, dave, isDeviceOf, mallory, T0, vote } from './helpers.ts';

const three = [alice.userId, bob.userId, carol.userId];
const yes = vote({ kind: 'yes-no', vote: 'yes' });
const ack = vote({ kind: 'ack' });

describe('discussion', () => {
  const make = () => conversationOf({ pattern: 'discussion', consensus: { method: 'all-acknowledged' } });

  it('allows posts, threaded replies, reactions and acks from members', () => {
    const c = make();
    const post = c.post(bob, 'post', { text: 'Shall we paint the shed?' }, T0 + 1);
    const reply = c.post(carol, 'reply', { target: post.id, text: 'Green!' }, T0 + 2);
    c.post(alice, 'reply', { target: reply.id, text: 'Green it is.' }, T0 + 3);
    c.post(alice, 'reaction', { target: reply.id, reaction: '👍' }, T0 + 4);
    for (const p of [alice, bob]) c.post(p, 'vote', ack, T0 + 5);
    expect(c.evaluate(T0 + 6).done).toBe(false);
    c.post(carol, 'vote', ack, T0 + 7);
    expect(c.evaluate(T0 + 8).done).toBe(true);
  });

  it('refuses what the pattern does not allow', () => {
    const c = make();
    const post = c.post(bob, 'post', { text: 'hello' }, T0 + 1);
    const reaction = c.post(carol, 'reaction', { target: post.id, reaction: '🎉' }, T0 + 2);
    expect(codeOf(() => c.post(mallory, 'post', { text: 'spam' }, T0 + 3))).toBe('CONVERSATION_NOT_A_MEMBER');
    expect(codeOf(() => c.post(bob, 'reply', { target: reaction.id, text: 'to a reaction?' }, T0 + 3))).toBe(
      'CONVERSATION_BAD_TARGET',
    );
    expect(codeOf(() => c.post(bob, 'reply', { target: 'ab'.repeat(32), text: 'to nothing' }, T0 + 3))).toBe(
      'CONVERSATION_BAD_TARGET',
    );
    expect(codeOf(() => c.post(bob, 'post', { text: 'x', mood: 'happy' }, T0 + 3))).toBe(
      'CONVERSATION_BAD_BODY',
    );
    expect(codeOf(() => c.post(bob, 'post', { text: '' }, T0 + 3))).toBe('CONVERSATION_BAD_BODY');
    expect(codeOf(() => c.post(bob, 'post', { text: 'x'.repeat(4001) }, T0 + 3))).toBe(
      'CONVERSATION_BAD_BODY',
    );
    expect(codeOf(() => c.post(bob, 'announce', { text: 'x' }, T0 + 3))).toBe('CONVERSATION_UNKNOWN_KIND');
    expect(codeOf(() => c.post(bob, 'vote', yes, T0 + 3))).toBe('CONVERSATION_VOTE_NOT_ALLOWED');
    expect(c.size).toBe(2);
  });

  it('a reply must follow the post it answers (a concurrent post is not a target)', () => {
    const a = make();
    const b = new Conversation(a.genesis, { isDeviceOf });
    const post = a.post(bob, 'post', { text: 'mine' }, T0 + 1);
    const blind = signEvent(
      {
        conversation: a.id,
        author: carol.userId,
        kind: 'reply',
        body: { target: post.id, text: 'I never saw it' },
        parents: b.heads(),
        createdAt: T0 + 2,
      },
      carol.device,
    );
    expect(codeOf(() => a.receive(blind.bytes))).toBe('CONVERSATION_BAD_TARGET');
  });

  it('the creator takes part without a vote when not a member', () => {
    const c = conversationOf({
      pattern: 'discussion',
      consensus: { method: 'all-acknowledged' },
      members: [bob.userId, carol.userId],
    });
    c.post(alice, 'post', { text: 'I only moderate' }, T0 + 1);
    expect(codeOf(() => c.post(alice, 'vote', ack, T0 + 2))).toBe('CONVERSATION_NOT_A_MEMBER');
  });
});

describe('debate', () => {
  const make = (rounds?: number) =>
    conversationOf({
      pattern: 'debate',
      patternParams: rounds === undefined ? {} : { rounds },
      options: ['motion'],
      consensus: { method: 'majority' },
    });

  it('runs positions, arguments and rebuttals in rounds, then votes in the last one', () => {
    const c = make(2);
    const position = c.post(
      bob,
      'position',
      { text: 'We should ban leaf blowers', option: 'motion' },
      T0 + 1,
    );
    const forIt = c.post(carol, 'argument', { side: 'for', target: position.id, text: 'Noise' }, T0 + 2);
    c.post(alice, 'argument', { side: 'against', option: 'motion', text: 'Leaves' }, T0 + 3);
    const rebuttal = c.post(alice, 'rebuttal', { target: forIt.id, text: 'Electric ones are quiet' }, T0 + 4);
    c.post(carol, 'rebuttal', { target: rebuttal.id, text: 'Not that quiet' }, T0 + 5);
    expect(codeOf(() => c.post(bob, 'vote', yes, T0 + 6))).toBe('CONVERSATION_OUT_OF_TURN');
    expect(codeOf(() => c.post(bob, 'next-round', { round: 2 }, T0 + 6))).toBe('CONVERSATION_CREATOR_ONLY');
    expect(codeOf(() => c.post(alice, 'next-round', { round: 3 }, T0 + 6))).toBe('CONVERSATION_OUT_OF_TURN');
    c.post(alice, 'next-round', { round: 2 }, T0 + 6);
    expect(codeOf(() => c.post(bob, 'position', { text: 'late position' }, T0 + 7))).toBe(
      'CONVERSATION_OUT_OF_TURN',
    );
    c.post(bob, 'argument', { side: 'for', target: position.id, text: 'Round two point' }, T0 + 7);
    expect(codeOf(() => c.post(alice, 'next-round', { round: 3 }, T0 + 8))).toBe('CONVERSATION_OUT_OF_TURN');
    c.post(bob, 'vote', yes, T0 + 8);
    c.post(carol, 'vote', yes, T0 + 9);
    const ev = c.evaluate(T0 + 10);
    expect(ev.done).toBe(true);
    expect(ev.result.passed).toBe(true);
  });

  it('checks claims and targets', () => {
    const c = make();
    const position = c.post(bob, 'position', { text: 'p' }, T0 + 1);
    expect(
      codeOf(() =>
        c.post(
          carol,
          'argument',
          { side: 'for', target: position.id, option: 'motion', text: 'both' },
          T0 + 2,
        ),
      ),
    ).toBe('CONVERSATION_BAD_BODY');
    expect(codeOf(() => c.post(carol, 'argument', { side: 'for', text: 'neither' }, T0 + 2))).toBe(
      'CONVERSATION_BAD_BODY',
    );
    expect(codeOf(() => c.post(carol, 'argument', { side: 'for', option: 'nope', text: 'x' }, T0 + 2))).toBe(
      'CONVERSATION_BAD_BODY',
    );
    expect(
      codeOf(() => c.post(carol, 'argument', { side: 'sideways', option: 'motion', text: 'x' }, T0 + 2)),
    ).toBe('CONVERSATION_BAD_BODY');
    expect(codeOf(() => c.post(carol, 'rebuttal', { target: position.id, text: 'x' }, T0 + 2))).toBe(
      'CONVERSATION_BAD_TARGET',
    );
    expect(codeOf(() => c.post(alice, 'next-round', { round: 2 }, T0 + 2))).toBe('CONVERSATION_UNKNOWN_KIND');
    // Without rounds, votes are open at once.
    c.post(bob, 'vote', yes, T0 + 3);
  });
});

describe('announcement', () => {
  const make = () => conversationOf({ pattern: 'announcement', consensus: { method: 'all-acknowledged' } });

  it('only the author announces; members acknowledge after it; the author counts as acknowledged', () => {
    const c = make();
    expect(codeOf(() => c.post(bob, 'vote', ack, T0 + 1))).toBe('CONVERSATION_OUT_OF_TURN');
    expect(codeOf(() => c.post(bob, 'announce', { text: 'I am not the author' }, T0 + 1))).toBe(
      'CONVERSATION_CREATOR_ONLY',
    );
    c.post(alice, 'announce', { text: 'The bins go out on Tuesday now.' }, T0 + 1);
    expect(codeOf(() => c.post(bob, 'comment', { text: 'ok' }, T0 + 2))).toBe('CONVERSATION_UNKNOWN_KIND');
    expect(codeOf(() => c.post(bob, 'vote', yes, T0 + 2))).toBe('CONVERSATION_VOTE_NOT_ALLOWED');
    c.post(bob, 'vote', ack, T0 + 2);
    const before = c.evaluate(T0 + 3);
    expect(before.tally.acks).toEqual([alice.userId, bob.userId].sort());
    expect(before.done).toBe(false);
    c.post(carol, 'vote', ack, T0 + 4);
    expect(c.evaluate(T0 + 5).done).toBe(true);
  });
});

describe('invitation', () => {
  const make = () =>
    conversationOf({
      pattern: 'invitation',
      patternParams: { capacity: 2 },
      members: [alice.userId, bob.userId, carol.userId, dave.userId],
      consensus: { method: 'rsvp-threshold', params: { min: 2 } },
      deadline: T0 + 1000,
    });

  it('the creator gives details; members RSVP before the deadline; capacity confirms the first yeses', () => {
    const c = make();
    expect(codeOf(() => c.post(bob, 'details', { text: 'my party' }, T0 + 1))).toBe(
      'CONVERSATION_CREATOR_ONLY',
    );
    expect(codeOf(() => c.post(alice, 'details', { text: 'x', startsAt: 10, endsAt: 5 }, T0 + 1))).toBe(
      'CONVERSATION_BAD_BODY',
    );
    c.post(
      alice,
      'details',
      { text: 'Barbecue', place: 'Garden', startsAt: T0 + 5000, endsAt: T0 + 9000 },
      T0 + 1,
    );
    c.post(bob, 'vote', vote({ kind: 'rsvp', answer: 'yes' }), T0 + 2);
    c.post(carol, 'vote', vote({ kind: 'rsvp', answer: 'maybe' }), T0 + 3);
    c.post(dave, 'vote', vote({ kind: 'rsvp', answer: 'yes' }), T0 + 4);
    c.post(carol, 'vote', vote({ kind: 'rsvp', answer: 'yes' }), T0 + 5);
    expect(codeOf(() => c.post(alice, 'vote', vote({ kind: 'rsvp', answer: 'perhaps' }), T0 + 6))).toBe(
      'CONSENSUS_BAD_BALLOT',
    );
    expect(codeOf(() => c.post(alice, 'vote', vote({ kind: 'rsvp', answer: 'yes' }), T0 + 1000))).toBe(
      'CONVERSATION_DEADLINE_PASSED',
    );
    const ev = c.evaluate(T0 + 7);
    expect(ev.tally.rsvp.capacity).toBe(2);
    expect(ev.tally.rsvp.confirmed).toEqual([bob.userId, dave.userId]);
    expect(ev.tally.rsvp.waitlist).toEqual([carol.userId]);
    expect(ev.result.passed).toBe(true);
  });

  it('refuses a capacity given twice with different values', () => {
    expect(
      codeOf(() =>
        conversationOf({
          pattern: 'invitation',
          patternParams: { capacity: 2 },
          consensus: { method: 'rsvp-threshold', params: { min: 1, capacity: 3 } },
        }),
      ),
    ).toBe('CONVERSATION_METHOD_MISMATCH');
  });
});

describe('proposal', () => {
  it('takes the ballots the method counts, and objections and blocks with reasons', () => {
    const c = conversationOf({ consensus: { method: 'consent' }, members: three });
    c.post(bob, 'vote', ack, T0 + 1);
    c.post(carol, 'vote', vote({ kind: 'objection', reason: 'Too expensive' }), T0 + 2);
    expect(
      codeOf(() => c.post(alice, 'vote', vote({ kind: 'block', reason: 'x'.repeat(2001) }), T0 + 3)),
    ).toBe('CONSENSUS_BAD_BALLOT');
    expect(codeOf(() => c.post(alice, 'vote', vote({ kind: 'objection' }), T0 + 3))).toBe(
      'CONSENSUS_BAD_BALLOT',
    );
    c.post(alice, 'vote', vote({ kind: 'block', reason: 'Against our values' }), T0 + 3);
    const ev = c.evaluate(T0 + 4);
    expect(ev.tally.objections).toEqual([{ voter: carol.userId, reason: 'Too expensive' }]);
    expect(ev.tally.blocks).toEqual([{ voter: alice.userId, reason: 'Against our values' }]);
    expect(ev.result.passed).toBe(false);
  });

  it('records objections under a yes/no method without counting them, and refuses other forms', () => {
    const c = conversationOf({ consensus: { method: 'majority' } });
    c.post(bob, 'vote', yes, T0 + 1);
    c.post(bob, 'vote', vote({ kind: 'objection', reason: 'second thoughts' }), T0 + 2);
    expect(c.evaluate(T0 + 3).tally.yesNo.yes).toBe(1);
    expect(codeOf(() => c.post(bob, 'vote', vote({ kind: 'choice', option: 'a' }), T0 + 4))).toBe(
      'CONVERSATION_VOTE_NOT_ALLOWED',
    );
    expect(codeOf(() => c.post(bob, 'vote', vote({ kind: 'rsvp', answer: 'yes' }), T0 + 4))).toBe(
      'CONVERSATION_VOTE_NOT_ALLOWED',
    );
    expect(codeOf(() => c.post(bob, 'vote', vote({ kind: 'yes-no', vote: 'maybe' }), T0 + 4))).toBe(
      'CONSENSUS_BAD_BALLOT',
    );
    expect(codeOf(() => c.post(bob, 'vote', { ballot: 'yes' }, T0 + 4))).toBe('CONVERSATION_BAD_BODY');
    c.post(bob, 'vote', vote({ kind: 'withdraw' }), T0 + 5);
    expect(c.evaluate(T0 + 6).tally.yesNo.yes).toBe(0);
  });

  it('checks rankings, scores and dots against the options and rules', () => {
    const ranked = conversationOf({ consensus: { method: 'schulze' }, options: ['a', 'b', 'c'] });
    ranked.post(bob, 'vote', vote({ kind: 'ranking', ranking: ['b', 'a'] }), T0 + 1);
    expect(
      codeOf(() => ranked.post(bob, 'vote', vote({ kind: 'ranking', ranking: ['a', 'a'] }), T0 + 2)),
    ).toBe('CONSENSUS_BAD_BALLOT');
    const scored = conversationOf({
      consensus: { method: 'score', params: { min: 0, max: 5 } },
      options: ['a', 'b'],
    });
    scored.post(bob, 'vote', vote({ kind: 'score', scores: { a: 5, b: 0 } }), T0 + 1);
    expect(codeOf(() => scored.post(bob, 'vote', vote({ kind: 'score', scores: { a: 6 } }), T0 + 2))).toBe(
      'CONSENSUS_BAD_BALLOT',
    );
    const dots = conversationOf({
      consensus: { method: 'dot-vote', params: { budget: 5 } },
      options: ['a', 'b'],
    });
    dots.post(bob, 'vote', vote({ kind: 'dots', dots: { a: 3, b: 2 } }), T0 + 1);
    expect(codeOf(() => dots.post(bob, 'vote', vote({ kind: 'dots', dots: { a: 3, b: 3 } }), T0 + 2))).toBe(
      'CONSENSUS_BAD_BALLOT',
    );
  });

  it('threads comments', () => {
    const c = conversationOf();
    const first = c.post(bob, 'comment', { text: 'Why?' }, T0 + 1);
    c.post(alice, 'comment', { text: 'Because.', target: first.id }, T0 + 2);
    const v = c.post(carol, 'vote', yes, T0 + 3);
    expect(codeOf(() => c.post(alice, 'comment', { text: 'x', target: v.id }, T0 + 4))).toBe(
      'CONVERSATION_BAD_TARGET',
    );
  });
});

describe('time poll', () => {
  it('marks the times that suit each member; the most approved time wins', () => {
    const slots = ['2025-06-07T18:00', '2025-06-08T12:00', '2025-06-09T19:30'];
    const c = conversationOf({ pattern: 'time-poll', options: slots, consensus: { method: 'approval' } });
    c.post(alice, 'vote', vote({ kind: 'approval', options: [slots[0]!, slots[1]!] }), T0 + 1);
    c.post(bob, 'vote', vote({ kind: 'approval', options: [slots[1]!] }), T0 + 2);
    c.post(carol, 'comment', { text: 'Weekends are hard for me' }, T0 + 3);
    expect(codeOf(() => c.post(carol, 'vote', yes, T0 + 4))).toBe('CONVERSATION_VOTE_NOT_ALLOWED');
    expect(
      codeOf(() => c.post(carol, 'vote', vote({ kind: 'approval', options: ['someday'] }), T0 + 4)),
    ).toBe('CONSENSUS_BAD_BALLOT');
    c.post(carol, 'vote', vote({ kind: 'approval', options: [slots[1]!, slots[2]!] }), T0 + 4);
    const ev = c.evaluate(T0 + 5);
    expect(ev.done).toBe(true);
    expect(ev.result.winner).toBe(slots[1]);
  });
});

describe('sense check', () => {
  it('takes thumbs up, sideways and down as yes, abstain and no', () => {
    const c = conversationOf({ pattern: 'sense-check', consensus: { method: 'majority' } });
    c.post(alice, 'vote', yes, T0 + 1);
    c.post(bob, 'vote', vote({ kind: 'yes-no', vote: 'abstain' }), T0 + 2);
    c.post(carol, 'comment', { text: 'Not sure yet' }, T0 + 3);
    expect(codeOf(() => c.post(carol, 'vote', vote({ kind: 'approval', options: [] }), T0 + 4))).toBe(
      'CONVERSATION_VOTE_NOT_ALLOWED',
    );
    c.post(carol, 'vote', vote({ kind: 'yes-no', vote: 'no' }), T0 + 4);
    const ev = c.evaluate(T0 + 5);
    expect(ev.tally.yesNo).toEqual({ yes: 1, no: 1, abstain: 1 });
    expect(ev.done).toBe(true);
    expect(ev.result.passed).toBe(false);
  });
});

describe('plain text in every pattern', () => {
  it('TEXT_KIND names a kind each pattern has, taking { text } from the creator', () => {
    const setups: Record<string, Parameters<typeof conversationOf>[0]> = {
      discussion: { consensus: { method: 'all-acknowledged' } },
      debate: {},
      announcement: { consensus: { method: 'all-acknowledged' } },
      invitation: { consensus: { method: 'rsvp-threshold', params: { min: 1 } } },
      proposal: {},
      'time-poll': { options: ['a', 'b'], consensus: { method: 'approval' } },
      'sense-check': {},
    };
    for (const name of PATTERN_NAMES) {
      const c = conversationOf({ pattern: name, ...setups[name] });
      const e = c.post(alice, TEXT_KIND[name], { text: 'hello' }, T0 + 1);
      expect(e.kind).toBe(TEXT_KIND[name]);
    }
  });
});
