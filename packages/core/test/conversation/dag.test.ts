import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Conversation } from '../../src/conversation/conversation.ts';
import { ConversationDag } from '../../src/conversation/dag.ts';
import { evaluate } from '../../src/conversation/evaluate.ts';
import { type ConversationEvent, signEvent } from '../../src/conversation/event.ts';
import type { Genesis } from '../../src/conversation/genesis.ts';
import { isKithError } from '../../src/errors.ts';
import {
  alice,
  bob,
  carol,
  codeOf,
  conversationOf,
  dave,
  genesisOf,
  isDeviceOf,
  mallory,
  type Person,
  T0,
  vote,
} from './helpers.ts';

const comment = (text: string) => ({ text });

/** Delivers events one by one like a node does: buffer those missing parents, retry after each add. */
function deliver(c: Conversation, events: readonly ConversationEvent[]): void {
  let buffer: ConversationEvent[] = [];
  for (const e of events) {
    const r = c.receive(e.bytes);
    if (r.status === 'missing') buffer.push(e);
    else {
      let progress = true;
      while (progress) {
        progress = false;
        const still: ConversationEvent[] = [];
        for (const b of buffer) {
          if (c.receive(b).status === 'missing') still.push(b);
          else progress = true;
        }
        buffer = still;
      }
    }
  }
  expect(buffer).toEqual([]);
}

/** A tiny seeded PRNG for shuffles (test-only). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('DAG basics', () => {
  it('starts with the genesis as the only head; first events name it', () => {
    const c = conversationOf();
    expect(c.heads()).toEqual([c.id]);
    const e = c.post(bob, 'comment', comment('hello'), T0 + 1);
    expect(e.parents).toEqual([c.id]);
    expect(c.heads()).toEqual([e.id]);
    const f = c.post(carol, 'comment', comment('hi'), T0 + 2);
    expect(f.parents).toEqual([e.id]);
    expect(c.heads()).toEqual([f.id]);
  });

  it('keeps concurrent events as several heads, and a later event merges them', () => {
    const a = conversationOf();
    const b = new Conversation(a.genesis, { isDeviceOf });
    const x = a.post(alice, 'comment', comment('x'), T0 + 1);
    const y = b.post(bob, 'comment', comment('y'), T0 + 1);
    a.receive(y.bytes);
    expect(a.heads()).toEqual([x.id, y.id].sort());
    const z = a.post(carol, 'comment', comment('z'), T0 + 2);
    expect(z.parents).toEqual([x.id, y.id].sort());
    expect(a.heads()).toEqual([z.id]);
  });

  it('reports missing parents, then accepts the event once they arrive', () => {
    const a = conversationOf();
    const x = a.post(alice, 'comment', comment('x'), T0 + 1);
    const y = a.post(bob, 'comment', comment('y'), T0 + 2);
    const b = new Conversation(a.genesis, { isDeviceOf });
    const r = b.receive(y.bytes);
    expect(r.status).toBe('missing');
    expect(r.status === 'missing' && r.missing).toEqual([x.id]);
    expect(b.size).toBe(0);
    expect(b.receive(x.bytes).status).toBe('added');
    expect(b.receive(y.bytes).status).toBe('added');
    expect(b.receive(y.bytes).status).toBe('duplicate');
    const dag = new ConversationDag(a.genesis);
    expect(codeOf(() => dag.add(y))).toBe('CONVERSATION_MISSING_PARENTS');
    expect(codeOf(() => evaluate(a.genesis, [y], T0 + 3))).toBe('CONVERSATION_MISSING_PARENTS');
  });

  it('receiveAll sorts out any order and leaves events with unknown parents pending', () => {
    const a = conversationOf();
    const events = [1, 2, 3, 4].map((i) => a.post(bob, 'comment', comment(`c${i}`), T0 + i));
    const orphan = signEvent(
      {
        conversation: a.id,
        author: bob.userId,
        kind: 'comment',
        body: comment('?'),
        parents: ['ab'.repeat(32)],
        createdAt: T0,
      },
      bob.device,
    );
    const b = new Conversation(a.genesis, { isDeviceOf });
    const r = b.receiveAll(
      [...events]
        .reverse()
        .map((e) => e.bytes)
        .concat([orphan.bytes]),
    );
    expect(r.added.length).toBe(4);
    expect(r.pending.map((e) => e.id)).toEqual([orphan.id]);
    expect(b.events().map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it('refuses events of another conversation, from a device not the author’s, or with a bad parent list', () => {
    const a = conversationOf();
    const other = conversationOf({ topic: 'another' });
    const foreign = other.post(bob, 'comment', comment('x'), T0 + 1);
    expect(codeOf(() => a.receive(foreign.bytes))).toBe('CONVERSATION_WRONG_CONVERSATION');
    const impostor = signEvent(
      {
        conversation: a.id,
        author: bob.userId,
        kind: 'comment',
        body: comment('I am bob'),
        parents: [a.id],
        createdAt: T0,
      },
      mallory.device,
    );
    expect(codeOf(() => a.receive(impostor.bytes))).toBe('CONVERSATION_UNKNOWN_DEVICE');
    const second = signEvent(
      {
        conversation: a.id,
        author: bob.userId,
        kind: 'comment',
        body: comment('second device'),
        parents: [a.id],
        createdAt: T0,
      },
      bob.device2,
    );
    expect(a.receive(second.bytes).status).toBe('added');
    const both = signEvent(
      {
        conversation: a.id,
        author: bob.userId,
        kind: 'comment',
        body: comment('x'),
        parents: [a.id, second.id],
        createdAt: T0,
      },
      bob.device,
    );
    expect(codeOf(() => a.receive(both.bytes))).toBe('CONVERSATION_BAD_PARENTS');
    expect(codeOf(() => a.post(mallory, 'comment', comment('let me in'), T0))).toBe(
      'CONVERSATION_NOT_A_MEMBER',
    );
  });

  it('the canonical order is by depth, then by id', () => {
    const a = conversationOf();
    const b = new Conversation(a.genesis, { isDeviceOf });
    const x1 = a.post(alice, 'comment', comment('x1'), T0 + 1);
    const x2 = a.post(alice, 'comment', comment('x2'), T0 + 2);
    const y1 = b.post(bob, 'comment', comment('y1'), T0 + 1);
    a.receive(y1.bytes);
    const z = a.post(carol, 'comment', comment('z'), T0 + 3);
    const depth1 = [x1.id, y1.id].sort();
    expect(a.events().map((e) => e.id)).toEqual([...depth1, x2.id, z.id]);
  });
});

type Step =
  | { kind: 'comment'; who: number; reply: boolean }
  | { kind: 'vote'; who: number; option: number }
  | { kind: 'membership'; add: boolean }
  | { kind: 'sync'; from: number; to: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('comment' as const), who: fc.nat(3), reply: fc.boolean() }),
  {
    arbitrary: fc.record({ kind: fc.constant('vote' as const), who: fc.nat(3), option: fc.nat(2) }),
    weight: 2,
  },
  fc.record({ kind: fc.constant('membership' as const), add: fc.boolean() }),
  { arbitrary: fc.record({ kind: fc.constant('sync' as const), from: fc.nat(3), to: fc.nat(3) }), weight: 2 },
);

const crowd: Person[] = [alice, bob, carol, dave];
const DEADLINE = T0 + 1000;

/** Four replicas act and sync at random; returns the genesis and every event made. */
function simulate(steps: Step[]): { genesis: Genesis; events: ConversationEvent[] } {
  const genesis = genesisOf({
    members: [alice.userId, bob.userId, carol.userId],
    options: ['park', 'lake', 'hill'],
    consensus: { method: 'plurality' },
    deadline: DEADLINE,
  });
  const replicas = crowd.map(() => new Conversation(genesis, { isDeviceOf }));
  const made: ConversationEvent[] = [];
  let clock = T0;
  const options = ['park', 'lake', 'hill'];
  for (const s of steps) {
    clock += 1;
    try {
      if (s.kind === 'sync') {
        replicas[s.to]!.receiveAll(replicas[s.from]!.events());
      } else if (s.kind === 'comment') {
        const r = replicas[s.who]!;
        const last = r
          .events()
          .filter((e) => e.kind === 'comment')
          .at(-1);
        const body: Record<string, string> =
          s.reply && last ? { text: 'reply', target: last.id } : { text: 'note' };
        made.push(r.post(crowd[s.who]!, 'comment', body, clock));
      } else if (s.kind === 'vote') {
        made.push(
          replicas[s.who]!.post(
            crowd[s.who]!,
            'vote',
            vote({ kind: 'choice', option: options[s.option]! }),
            clock,
          ),
        );
      } else {
        made.push(
          replicas[0]!.post(alice, s.add ? 'member-add' : 'member-remove', { user: dave.userId }, clock),
        );
      }
    } catch (e) {
      // Not allowed from this replica's view (dave not a member yet, already added…): skip.
      if (!isKithError(e)) throw e;
    }
  }
  return { genesis, events: made };
}

describe('random arrival orders (property)', () => {
  it('give the same accepted set, canonical order, heads and evaluation', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer(), { minLength: 2, maxLength: 3 }),
        (steps, seeds) => {
          const { genesis, events } = simulate(steps);
          const reference = new Conversation(genesis, { isDeviceOf });
          deliver(reference, events);
          const order = reference.events().map((e) => e.id);
          expect(order.length).toBe(events.length);
          // Topological: every parent comes first.
          const position = new Map(order.map((id, i) => [id, i]));
          for (const e of reference.events())
            for (const p of e.parents)
              if (p !== genesis.id) expect(position.get(p)!).toBeLessThan(position.get(e.id)!);
          const expected = reference.evaluate(T0 + 1000);
          for (const seed of seeds) {
            const c = new Conversation(genesis, { isDeviceOf });
            deliver(c, shuffled(events, seed));
            expect(c.events().map((e) => e.id)).toEqual(order);
            expect(c.heads()).toEqual(reference.heads());
            const ev = c.evaluate(T0 + 1000);
            expect(ev.tallyDigest).toBe(expected.tallyDigest);
            expect(ev.result).toEqual(expected.result);
            expect(ev.members).toEqual(expected.members);
            // The pure function agrees with the stateful one, from any order.
            expect(evaluate(genesis, shuffled(events, seed + 1), T0 + 1000).tallyDigest).toBe(
              expected.tallyDigest,
            );
          }
          // At the deadline the method is done: an outcome one member records closes every other copy.
          const outcome = reference.recordOutcome(alice, DEADLINE)!;
          expect(outcome).not.toBeNull();
          for (const seed of seeds) {
            const c = new Conversation(genesis, { isDeviceOf });
            deliver(c, shuffled(events, seed + 2));
            expect(c.applyOutcome(outcome.bytes, DEADLINE).status).toBe('closed');
            expect(c.heads()).toEqual(outcome.heads);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
