/** Unit tests for the web app's logic (the parts with rules in them; components only draw). */
import { METHODS } from '@kith/core/consensus/methods/registry';
import { PATTERN_NAMES } from '@kith/core/conversation/patterns/registry';
import { describe, expect, it } from 'vitest';
import type { Tally } from '../app/api.ts';
import {
  approvalVote,
  ballotForm,
  dotsVote,
  METHOD_BALLOT,
  METHOD_HELP,
  move,
  scoreVote,
} from '../app/logic/ballot.ts';
import { groupBadge, groupChats } from '../app/logic/chats.ts';
import { explainOutcome } from '../app/logic/explain.ts';
import { layoutNetwork } from '../app/logic/network-layout.ts';
import { conversationBody, DEFAULT_METHOD, PATTERNS, parseParams } from '../app/logic/new-conversation.ts';
import { pickWordPositions, wordsMatch } from '../app/logic/phrase-check.ts';

describe('ballots', () => {
  it('knows the ballot of every method core has, and the same one', () => {
    expect(Object.keys(METHOD_BALLOT).sort()).toEqual(Object.keys(METHODS).sort());
    for (const [name, method] of Object.entries(METHODS)) expect(METHOD_BALLOT[name]).toBe(method.ballotKind);
    for (const name of Object.keys(METHOD_HELP)) expect(Object.keys(METHODS)).toContain(name);
  });

  it('offers every pattern core has, each with a default method', () => {
    expect(PATTERNS.map(([p]) => p).sort()).toEqual([...PATTERN_NAMES].sort());
    for (const [p] of PATTERNS) expect(Object.keys(METHODS)).toContain(DEFAULT_METHOD[p]);
  });

  it('picks the form by pattern and method', () => {
    expect(ballotForm('irv', {}, 'proposal')).toBe('ranking');
    expect(ballotForm('consent', {}, 'proposal')).toBe('consent');
    expect(ballotForm('majority', {}, 'invitation')).toBe('rsvp');
    expect(ballotForm('all-acknowledged', {}, 'announcement')).toBe('ack');
    // A discussion asks for `ack` ("done for me") whatever its method, as `kith vote --ack` does.
    expect(ballotForm('lazy-consensus', {}, 'discussion')).toBe('ack');
    expect(ballotForm('all-acknowledged', {}, 'discussion')).toBe('ack');
    expect(ballotForm('cel', { accepts: ['approval'] }, 'time-poll')).toBe('approval');
  });

  it('moves ranked options up and down, never out of the list', () => {
    expect(move(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(move(['a', 'b', 'c'], 0, 2)).toEqual(['b', 'c', 'a']);
    expect(move(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(move(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'b', 'c']);
  });

  it('checks dots and scores before sending', () => {
    expect(dotsVote({ a: 3, b: 2 }, 5)).toEqual({ dots: { a: 3, b: 2 } });
    expect(dotsVote({ a: 3, b: 3 }, 5)).toMatch(/budget is 5/);
    expect(dotsVote({ a: 0 }, 5)).toMatch(/at least one/);
    expect(dotsVote({ a: 1.5 }, 5)).toMatch(/whole/);
    expect(scoreVote({ a: 11 }, { min: 0, max: 10 })).toMatch(/from 0 to 10/);
    expect(scoreVote({ a: 7 }, { min: 0, max: 10 })).toEqual({ score: { a: 7 } });
    expect(approvalVote(new Set(['c', 'a']), ['a', 'b', 'c'])).toEqual({ approve: ['a', 'c'] });
  });
});

describe('chats', () => {
  const m = (id: string, from: string, conversation: string, at: number) => ({
    id,
    from,
    conversation,
    text: id,
    sentAt: new Date(at).toISOString(),
    receivedAt: new Date(at + 5).toISOString(),
  });
  it('groups by conversation, newest first, counting others’ messages after the last read', () => {
    const chats = groupChats(
      [
        m('1', 'me', 'c1', 1000),
        m('2', 'ann', 'c1', 2000),
        m('3', 'ann', 'c1', 3000),
        m('4', 'bob', 'c2', 1500),
      ],
      'me',
      (c) => (c === 'c1' ? 2500 : 0),
    );
    expect(chats.map((c) => [c.conversation, c.with, c.unread, c.last.id])).toEqual([
      ['c1', 'ann', 1, '3'],
      ['c2', 'bob', 1, '4'],
    ]);
  });
});

describe('group conversation badge', () => {
  it('is "new" until shown, then counts the events that came in since', () => {
    expect(groupBadge(0, null)).toBe('new');
    expect(groupBadge(3, null)).toBe('new');
    expect(groupBadge(3, 3)).toBeNull();
    expect(groupBadge(5, 3)).toBe('2');
    // the page held more than the list knows of yet (a vote in flight): nothing new
    expect(groupBadge(3, 4)).toBeNull();
  });
});

describe('new conversation form', () => {
  const base = {
    topic: 'Lunch',
    pattern: 'proposal',
    method: 'plurality',
    rule: '',
    options: 'Soup\n\n Salad ',
    members: ['me', 'ann'],
    deadline: '',
  };
  it('builds the API body, trimming options', () => {
    expect(conversationBody(base)).toEqual({
      topic: 'Lunch',
      pattern: 'proposal',
      method: 'plurality',
      options: ['Soup', 'Salad'],
      members: ['me', 'ann'],
    });
    expect(conversationBody({ ...base, method: 'custom', rule: 'tally.turnout >= 2' })).toMatchObject({
      rule: 'tally.turnout >= 2',
    });
    expect(conversationBody({ ...base, deadline: '2030-01-02T03:04' })).toHaveProperty('deadline');
  });
  it('names the first problem', () => {
    expect(conversationBody({ ...base, topic: ' ' })).toMatch(/topic/);
    expect(conversationBody({ ...base, options: 'a\na' })).toMatch(/different/);
    expect(conversationBody({ ...base, members: [] })).toMatch(/member/);
    expect(conversationBody({ ...base, method: 'custom' })).toMatch(/rule/);
    expect(conversationBody({ ...base, deadline: 'soon' })).toMatch(/date/);
    expect(conversationBody({ ...base, params: 'min' })).toMatch(/^Method parameters: write key=value/);
    expect(conversationBody({ ...base, patternParams: 'a=1\na=2' })).toMatch(/a is given twice/);
  });
  it('adds the membership and the parameters, read as `kith conversation create --param` reads them', () => {
    expect(
      conversationBody({
        ...base,
        membership: 'fixed',
        params: ' min = 2 \n\nof=cast\nlist=[1,"b"]',
        patternParams: 'capacity=10',
      }),
    ).toMatchObject({
      membership: 'fixed',
      params: { min: 2, of: 'cast', list: [1, 'b'] },
      patternParams: { capacity: 10 },
    });
    expect(conversationBody({ ...base, membership: '', params: '\n' })).not.toHaveProperty('params');
    expect(conversationBody({ ...base, membership: '' })).not.toHaveProperty('membership');
    // A custom rule's done and passed stay text even when they look like JSON.
    expect(parseParams('passed=true\ndone=1\nwinner=x', 'P')).toEqual({
      passed: 'true',
      done: '1',
      winner: 'x',
    });
    expect(parseParams('m={"a":', 'P')).toBe('P: m is not valid JSON.');
    expect(parseParams('flag=false\nn=null\nx=-1.5', 'P')).toEqual({ flag: false, n: null, x: -1.5 });
  });
});

describe('phrase check', () => {
  it('asks three distinct positions and compares words case-insensitively', () => {
    const seq = [0.5, 0.5, 0.1, 0.9];
    const positions = pickWordPositions(24, () => seq.shift() ?? 0);
    expect(positions).toEqual([2, 12, 21]);
    const phrase = Array.from({ length: 24 }, (_, i) => `w${i}`).join(' ');
    expect(wordsMatch(phrase, positions, ['W2', ' w12', 'w21'])).toBe(true);
    expect(wordsMatch(phrase, positions, ['w2', 'w12', 'w20'])).toBe(false);
  });
});

describe('network layout', () => {
  it('puts my devices inside and each friend’s devices together outside, deterministically', () => {
    const peers = [
      { deviceId: 'd1', userId: 'me', own: true, online: true },
      { deviceId: 'f1', userId: 'ann', own: false, online: true },
      { deviceId: 'f2', userId: 'ann', own: false, online: false },
      { deviceId: 'g1', userId: 'bob', own: false, online: true },
    ];
    const l = layoutNetwork(peers, 400);
    expect(l.nodes).toHaveLength(4);
    const dist = (n: { x: number; y: number }) => Math.hypot(n.x - 200, n.y - 200);
    expect(dist(l.nodes.find((n) => n.deviceId === 'd1')!)).toBeCloseTo(80, 0);
    for (const id of ['f1', 'f2', 'g1'])
      expect(dist(l.nodes.find((n) => n.deviceId === id)!)).toBeCloseTo(152, 0);
    expect(l.groups.map((g) => g.userId)).toEqual(['ann', 'bob']);
    expect(layoutNetwork([...peers].reverse(), 400).nodes.find((n) => n.deviceId === 'g1')).toEqual(
      l.nodes.find((n) => n.deviceId === 'g1'),
    );
  });
});

describe('outcome explanation', () => {
  it('tells the IRV rounds and the tie-break', () => {
    const tally = {
      turnout: 2,
      eligible: 2,
      tieOrder: ['b', 'a'],
      irv: {
        rounds: [
          { counts: { a: 1, b: 1, c: 0 }, exhausted: 0, eliminated: 'c' },
          { counts: { a: 1, b: 1 }, exhausted: 0, eliminated: 'a' },
        ],
        winner: 'b',
      },
      choices: { a: 1, b: 1 },
    } as unknown as Tally;
    const irv = explainOutcome('irv', { passed: true, winner: 'b', reason: 'all-voted' }, tally);
    expect(irv).toContain('Winner: b.');
    expect(irv).toContain('Decided because every member voted (2 of 2 voted).');
    expect(irv).toContain('Round 1: a 1, b 1, c 0; c eliminated.');
    const plurality = explainOutcome('plurality', { passed: true, winner: 'b', reason: 'all-voted' }, tally);
    expect(plurality.at(-1)).toMatch(/tie between a and b was broken by the fixed tie order \(b, a\)/);
  });
});
