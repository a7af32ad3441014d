import { describe, expect, it } from 'vitest';
import { Conversation } from '../../src/conversation/conversation.ts';
import { evaluate } from '../../src/conversation/evaluate.ts';
import { createOutcome, verifyOutcome } from '../../src/conversation/outcome.ts';
import { alice, bob, carol, codeOf, conversationOf, dave, isDeviceOf, mallory, T0, vote } from './helpers.ts';

const yes = vote({ kind: 'yes-no', vote: 'yes' });
const no = vote({ kind: 'yes-no', vote: 'no' });

/** Alice's node and Bob's node on a majority proposal of alice, bob, carol. */
function pair() {
  const a = conversationOf();
  const b = new Conversation(a.genesis, { isDeviceOf });
  return { a, b };
}

describe('recording an outcome', () => {
  it('returns null while the method is not done, then records and closes the conversation', () => {
    const { a } = pair();
    a.post(alice, 'vote', yes, T0 + 1);
    expect(a.recordOutcome(alice, T0 + 2)).toBeNull();
    expect(a.status).toBe('open');
    a.post(bob, 'vote', yes, T0 + 3);
    const outcome = a.recordOutcome(alice, T0 + 4)!;
    expect(outcome.result.passed).toBe(true);
    expect(outcome.heads).toEqual(a.heads());
    expect(outcome.method).toBe('majority');
    expect(outcome.events).toBe(2);
    expect(a.status).toBe('closed');
    expect(a.outcome).toEqual(outcome);
    expect(codeOf(() => a.post(carol, 'vote', no, T0 + 5))).toBe('CONVERSATION_CLOSED');
    expect(codeOf(() => a.recordOutcome(alice, T0 + 5))).toBe('CONVERSATION_CLOSED');
  });

  it('refuses to sign an outcome that is not done, or for a non-member', () => {
    const { a } = pair();
    a.post(alice, 'vote', yes, T0 + 1);
    expect(
      codeOf(() =>
        createOutcome(a.genesis, a.evaluate(T0 + 2), { userId: alice.userId, device: alice.device }),
      ),
    ).toBe('CONVERSATION_NOT_DONE');
    a.post(bob, 'vote', yes, T0 + 3);
    expect(codeOf(() => a.recordOutcome(mallory, T0 + 4))).toBe('CONVERSATION_NOT_A_MEMBER');
  });
});

describe('another member re-evaluates', () => {
  it('agrees, closes, and drops concurrent events the outcome did not evaluate', () => {
    const { a, b } = pair();
    const v1 = a.post(alice, 'vote', yes, T0 + 1);
    const v2 = a.post(bob, 'vote', yes, T0 + 2);
    b.receiveAll([v1.bytes, v2.bytes]);
    const late = b.post(carol, 'vote', no, T0 + 3); // concurrent with the outcome below
    const outcome = a.recordOutcome(alice, T0 + 4)!;
    expect(codeOf(() => a.receive(late.bytes))).toBe('CONVERSATION_CLOSED');
    const r = b.applyOutcome(outcome.bytes, T0 + 5);
    expect(r.status).toBe('closed');
    expect(r.status === 'closed' && r.dropped).toEqual([late.id]);
    expect(b.status).toBe('closed');
    expect(b.heads()).toEqual(a.heads());
    expect(b.evaluate(T0 + 4).tallyDigest).toBe(outcome.tallyDigest);
    expect(b.applyOutcome(outcome.bytes, T0 + 6).status).toBe('duplicate');
  });

  it('asks for missing events first, then agrees', () => {
    const { a, b } = pair();
    const v1 = a.post(alice, 'vote', yes, T0 + 1);
    const v2 = a.post(bob, 'vote', yes, T0 + 2);
    const outcome = a.recordOutcome(alice, T0 + 3)!;
    const r = b.applyOutcome(outcome.bytes, T0 + 4);
    expect(r.status === 'missing' && r.missing).toEqual([v2.id]);
    expect(b.status).toBe('open');
    b.receiveAll([v2.bytes, v1.bytes]);
    expect(b.applyOutcome(outcome.bytes, T0 + 4).status).toBe('closed');
  });

  it('verifyOutcome ignores events that came after the heads', () => {
    const { a, b } = pair();
    a.post(alice, 'vote', yes, T0 + 1);
    a.post(bob, 'vote', yes, T0 + 2);
    b.receiveAll(a.events());
    const outcome = a.recordOutcome(alice, T0 + 3)!;
    b.post(carol, 'vote', no, T0 + 4);
    const v = verifyOutcome(b.genesis, b.events(), outcome, { isDeviceOf, now: T0 + 5 });
    expect(v.verdict).toBe('agree');
    expect(v.verdict === 'agree' && v.evaluation.events).toBe(2);
  });

  it('an outcome of a deadline method verifies only once its time has come on the verifier’s clock', () => {
    const a = conversationOf({ consensus: { method: 'lazy-consensus' }, deadline: T0 + 1_000_000 });
    a.post(bob, 'comment', { text: 'fine by me' }, T0 + 1);
    expect(a.evaluate(T0 + 999_999).done).toBe(false);
    const outcome = a.recordOutcome(alice, T0 + 1_000_000)!;
    expect(outcome.result).toEqual({ passed: true, reason: 'deadline' });
    const b = new Conversation(a.genesis, { isDeviceOf });
    b.receiveAll(a.events());
    const early = b.applyOutcome(outcome.bytes, T0 + 1);
    expect(early.status === 'disagree' && early.reason).toBe('from-the-future');
    expect(b.applyOutcome(outcome.bytes, T0 + 1_000_000).status).toBe('closed');
  });

  it('with no events, the genesis is the head', () => {
    const a = conversationOf({ consensus: { method: 'lazy-consensus' }, deadline: T0 + 10 });
    const outcome = a.recordOutcome(bob, T0 + 10)!;
    expect(outcome.heads).toEqual([a.id]);
    const v = verifyOutcome(a.genesis, [], outcome, { isDeviceOf, now: T0 + 10 });
    expect(v.verdict).toBe('agree');
  });
});

describe('a tampered or wrong outcome is detected, never taken', () => {
  function setup() {
    const { a, b } = pair();
    a.post(alice, 'vote', yes, T0 + 1);
    a.post(bob, 'vote', no, T0 + 2);
    const partial = a.evaluate(T0 + 3);
    a.post(carol, 'vote', yes, T0 + 4);
    b.receiveAll(a.events());
    const evaluation = a.evaluate(T0 + 5);
    expect(evaluation.done).toBe(true);
    return { a, b, evaluation, partial };
  }
  const signer = { userId: carol.userId, device: carol.device };

  it('a different result', () => {
    const { a, b, evaluation } = setup();
    const forged = createOutcome(
      a.genesis,
      { ...evaluation, result: { ...evaluation.result, passed: false } },
      signer,
    );
    const r = b.applyOutcome(forged.bytes, T0 + 6);
    expect(r.status === 'disagree' && r.reason).toBe('result');
    expect(b.status).toBe('open');
  });

  it('a different tally digest', () => {
    const { a, b, evaluation } = setup();
    const forged = createOutcome(a.genesis, { ...evaluation, tallyDigest: '00'.repeat(32) }, signer);
    const r = b.applyOutcome(forged.bytes, T0 + 6);
    expect(r.status === 'disagree' && r.reason).toBe('tally');
  });

  it('heads where the method was not done yet', () => {
    const { a, b, partial } = setup();
    expect(partial.done).toBe(false);
    const forged = createOutcome(a.genesis, { ...partial, done: true }, signer);
    const r = b.applyOutcome(forged.bytes, T0 + 6);
    expect(r.status === 'disagree' && r.reason).toBe('not-done');
  });

  it('another method name, or a wrong event count', () => {
    const { a, b, evaluation } = setup();
    const m = b.applyOutcome(
      createOutcome(a.genesis, { ...evaluation, method: 'unanimity' }, signer).bytes,
      T0 + 6,
    );
    expect(m.status === 'disagree' && m.reason).toBe('method');
    const n = b.applyOutcome(createOutcome(a.genesis, { ...evaluation, events: 2 }, signer).bytes, T0 + 6);
    expect(n.status === 'disagree' && n.reason).toBe('events');
  });

  it('a signer who is not a member, or a device that is not the signer’s', () => {
    const { a, b, evaluation } = setup();
    const outsider = createOutcome(a.genesis, evaluation, { userId: mallory.userId, device: mallory.device });
    const r1 = b.applyOutcome(outsider.bytes, T0 + 6);
    expect(r1.status === 'disagree' && r1.reason).toBe('signer');
    const impostor = createOutcome(a.genesis, evaluation, { userId: carol.userId, device: dave.device });
    const r2 = b.applyOutcome(impostor.bytes, T0 + 6);
    expect(r2.status === 'disagree' && r2.reason).toBe('signer');
  });

  it('an outcome of another conversation', () => {
    const { evaluation, a } = setup();
    const other = conversationOf({ topic: 'other' });
    const outcome = createOutcome(a.genesis, evaluation, signer);
    const v = verifyOutcome(other.genesis, [], outcome, { isDeviceOf, now: T0 + 6 });
    expect(v.verdict === 'disagree' && v.reason).toBe('conversation');
  });

  it('a conflicting valid outcome after closing is reported, and the first stays', () => {
    const { a, b } = setup();
    const first = a.recordOutcome(alice, T0 + 5)!;
    expect(b.applyOutcome(first.bytes, T0 + 6).status).toBe('closed');
    // Carol's worker evaluated the same events a little later: valid too, but not the first.
    const second = createOutcome(a.genesis, evaluate(a.genesis, a.events(), T0 + 7), signer);
    const r = b.applyOutcome(second.bytes, T0 + 8);
    expect(r.status).toBe('conflict');
    expect(r.status === 'conflict' && r.verified).toBe(true);
    expect(b.outcome!.id).toBe(first.id);
    expect(b.conflicts.map((o) => o.id)).toEqual([second.id]);
  });

  it('the pure evaluate agrees with the node', () => {
    const { a, evaluation } = setup();
    expect(evaluate(a.genesis, [...a.events()].reverse(), T0 + 5)).toEqual(evaluation);
  });
});
