/**
 * ConversationService on real databases (medium tier: PGlite, and Postgres when DATABASE_URL is
 * set): create, post, vote in every ballot form, outcome when done, refusal after closing,
 * sealed at rest, receiving out of order with duplicates, outcomes from other members
 * (agreeing, disagreeing, conflicting), restart, and items waiting for an identity.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createOutcome, evaluate, openEvent, openGenesis, signEvent } from '@kith/core/conversation/index';
import { toHex } from '@kith/core/crypto/index';
import { isKithError } from '@kith/core/errors';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../../../../test/helpers/database.ts';
import type { VoteForm } from '../../src/conversations/ballot-form.ts';
import type { KithDb } from '@kith/db/database';
import {
  addDevice,
  Clock,
  deliver,
  makeNode,
  type Person,
  person,
  shuffled,
  T0,
  type TestNode,
} from './fixture.ts';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isKithError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a KithError');
}

/** Every row of every table, as Postgres prints it (bytea as \x hex). */
async function dumpAll(db: KithDb): Promise<string> {
  const rowsOf = (r: unknown) =>
    (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as Record<string, string>[];
  const tables = rowsOf(
    await db.execute(
      sql`select table_schema as s, table_name as t from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'`,
    ),
  );
  expect(tables.map((t) => t.t)).toEqual(expect.arrayContaining(['conversations', 'conversation_events']));
  let out = '';
  for (const { s, t } of tables) {
    for (const row of rowsOf(await db.execute(sql.raw(`select x::text as row from "${s}"."${t}" x`))))
      out += `${t}: ${row.row}\n`;
  }
  return out;
}

function containsMarker(text: string, marker: string): boolean {
  return text.includes(marker) || text.includes(Buffer.from(marker).toString('hex'));
}

async function filesContain(dir: string, marker: Buffer): Promise<string[]> {
  const hits: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path)).includes(marker)) hits.push(path);
  }
  return hits;
}

describe.each(testDatabaseKinds())('conversations on %s', (kind) => {
  const clock = new Clock();
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let a: TestNode;
  let b: TestNode;

  beforeAll(async () => {
    alice = person('alice');
    bob = person('bob');
    carol = person('carol');
    a = await makeNode(kind, alice, [bob], { clock });
    b = await makeNode(kind, bob, [alice], { clock });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('refuses members who are neither this user nor a friend, and malformed ids', async () => {
    const base = { topic: 't', pattern: 'sense-check', method: 'majority' };
    expect(await codeOf(a.service.create({ ...base, members: [alice.userId, carol.userId] }))).toBe(
      'NOT_A_FRIEND',
    );
    expect(await codeOf(a.service.create({ ...base, members: ['not-an-id'] }))).toBe('ID_INVALID');
    expect(await codeOf(a.service.create({ ...base, rule: 'true', members: [alice.userId] }))).toBe(
      'INVALID_INPUT',
    );
    expect(await codeOf(a.service.show('0'.repeat(64)))).toBe('CONVERSATION_UNKNOWN');
  });

  it('takes a debate argument for or against one claim, and refuses it elsewhere', async () => {
    const { id } = await a.service.create({
      topic: 'Tabs or spaces',
      pattern: 'debate',
      method: 'plurality',
      options: ['tabs', 'spaces'],
      members: [alice.userId, bob.userId],
    });
    await a.service.argue(id, { side: 'against', option: 'tabs', text: 'They render differently.' });
    const position = await a.service.post(id, 'Spaces, always.');
    await a.service.argue(id, { side: 'for', target: position.id, text: 'Diffs stay readable.' });
    const args = (await a.service.show(id)).timeline.filter((e) => e.kind === 'argument');
    expect(args.map((e) => [e.body.side, e.body.option ?? e.body.target])).toEqual([
      ['against', 'tabs'],
      ['for', position.id],
    ]);
    // no claim, or two: refused by core
    expect(await codeOf(a.service.argue(id, { side: 'for', text: 'x' }))).toBe('CONVERSATION_BAD_BODY');
    const other = await a.service.create({
      topic: 'Lunch?',
      pattern: 'sense-check',
      method: 'majority',
      members: [alice.userId],
    });
    expect(await codeOf(a.service.argue(other.id, { side: 'for', option: 'x', text: 'x' }))).toBe(
      'CONVERSATION_UNKNOWN_KIND',
    );
  });

  const forms: {
    name: string;
    pattern: string;
    method: string;
    params?: Record<string, never>;
    options?: string[];
    first?: 'announce';
    form: VoteForm;
    ballot: unknown;
  }[] = [
    {
      name: 'choice',
      pattern: 'proposal',
      method: 'plurality',
      options: ['a', 'b'],
      form: { choice: 'b' },
      ballot: { kind: 'choice', option: 'b' },
    },
    {
      name: 'approve',
      pattern: 'proposal',
      method: 'approval',
      options: ['a', 'b', 'c'],
      form: { approve: ['a', 'c'] },
      ballot: { kind: 'approval', options: ['a', 'c'] },
    },
    {
      name: 'rank',
      pattern: 'proposal',
      method: 'schulze',
      options: ['a', 'b', 'c'],
      form: { rank: ['c', 'a', 'b'] },
      ballot: { kind: 'ranking', ranking: ['c', 'a', 'b'] },
    },
    {
      name: 'score',
      pattern: 'time-poll',
      method: 'score',
      options: ['mon', 'tue'],
      form: { score: { mon: 5, tue: 3 } },
      ballot: { kind: 'score', scores: { mon: 5, tue: 3 } },
    },
    {
      name: 'dots',
      pattern: 'proposal',
      method: 'dot-vote',
      options: ['a', 'b'],
      form: { dots: { a: 3, b: 5 } },
      ballot: { kind: 'dots', dots: { a: 3, b: 5 } },
    },
    {
      name: 'rsvp',
      pattern: 'invitation',
      method: 'rsvp-threshold',
      params: { min: 2 } as never,
      form: { rsvp: 'maybe' },
      ballot: { kind: 'rsvp', answer: 'maybe' },
    },
    {
      name: 'ack',
      pattern: 'announcement',
      method: 'all-acknowledged',
      first: 'announce',
      form: { ack: true },
      ballot: { kind: 'ack' },
    },
    {
      name: 'object',
      pattern: 'proposal',
      method: 'consent',
      form: { object: 'too early' },
      ballot: { kind: 'objection', reason: 'too early' },
    },
    {
      name: 'block',
      pattern: 'proposal',
      method: 'consent',
      params: { blockOn: 'block' } as never,
      form: { block: 'no way' },
      ballot: { kind: 'block', reason: 'no way' },
    },
    {
      name: 'yes/no',
      pattern: 'sense-check',
      method: 'majority',
      form: { vote: 'no' },
      ballot: { kind: 'yes-no', vote: 'no' },
    },
    {
      name: 'yes/no as --choice',
      pattern: 'sense-check',
      method: 'majority',
      form: { choice: 'sideways' },
      ballot: { kind: 'yes-no', vote: 'abstain' },
    },
    {
      name: 'apache',
      pattern: 'proposal',
      method: 'apache-release',
      form: { apache: { vote: 1, binding: true } },
      ballot: { kind: 'apache', vote: 1, binding: true },
    },
  ];

  it.each(forms)('votes with $name: the ballot reaches the tally', async (c) => {
    const created = await a.service.create({
      topic: `vote ${c.name}`,
      pattern: c.pattern,
      method: c.method,
      ...(c.params ? { params: c.params } : {}),
      ...(c.options ? { options: c.options } : {}),
      members: [alice.userId, bob.userId],
    });
    if (c.first === 'announce') await a.service.post(created.id, 'We move on Friday.');
    const vote = await a.service.vote(created.id, c.form);
    expect(vote.id).toMatch(/^[0-9a-f]{64}$/);
    const shown = await a.service.show(created.id);
    expect(shown.status).toBe('open');
    expect(shown.tally.ballots[alice.userId]).toEqual(c.ballot);
    expect(shown.timeline.at(-1)).toMatchObject({ id: vote.id, kind: 'vote', author: alice.userId });
    // a withdraw takes it back
    await a.service.vote(created.id, { withdraw: true });
    expect((await a.service.show(created.id)).tally.ballots[alice.userId]).toBeUndefined();
  });

  it('refuses a vote the conversation does not take, and two forms at once', async () => {
    const { id } = await a.service.create({
      topic: 'x',
      pattern: 'sense-check',
      method: 'majority',
      members: [alice.userId],
    });
    expect(await codeOf(a.service.vote(id, { rank: ['a'] }))).toBe('CONVERSATION_VOTE_NOT_ALLOWED');
    expect(await codeOf(a.service.vote(id, { vote: 'yes', ack: true }))).toBe('INVALID_INPUT');
    const poll = await a.service.create({
      topic: 'y',
      pattern: 'proposal',
      method: 'plurality',
      options: ['a', 'b'],
      members: [alice.userId],
    });
    expect(await codeOf(a.service.vote(poll.id, { choice: 'z' }))).toBe('CONSENSUS_BAD_BALLOT');
    expect((await a.service.show(poll.id)).events).toBe(0);
  });

  it('records the outcome once the method is done (Schulze), then refuses events with CONVERSATION_CLOSED', async () => {
    const { id } = await a.service.create({
      topic: 'Which film?',
      pattern: 'proposal',
      method: 'schulze',
      options: ['alien', 'brazil', 'casablanca'],
      members: [alice.userId],
    });
    expect(await codeOf(a.service.recordOutcome(id))).toBe('CONVERSATION_NOT_DONE');
    await a.service.post(id, 'I have seen alien twice.');
    await a.service.vote(id, { rank: ['brazil', 'casablanca'] });
    expect((await a.service.evaluation(id)).done).toBe(true);
    const recorded = await a.service.recordOutcome(id);
    expect(recorded.recorded).toBe(true);
    expect(recorded.outcome.result).toMatchObject({ passed: true, winner: 'brazil', reason: 'all-voted' });
    const shown = await a.service.show(id);
    expect(shown).toMatchObject({ status: 'closed', done: true, events: 2 });
    expect(shown.outcome).toEqual(recorded.outcome);
    expect(shown.outcome!.heads).toEqual(shown.heads);
    expect(shown.outcome!.by).toEqual({ userId: alice.userId, deviceId: a.device.deviceId });
    expect(a.sync.of(id).map((i) => i.kind)).toEqual(['genesis', 'event', 'event', 'outcome']);
    expect(await codeOf(a.service.vote(id, { rank: ['alien'] }))).toBe('CONVERSATION_CLOSED');
    expect(await codeOf(a.service.post(id, 'too late'))).toBe('CONVERSATION_CLOSED');
    const again = await a.service.recordOutcome(id);
    expect(again).toEqual({ recorded: false, outcome: recorded.outcome });
    expect((await a.service.list('closed')).map((c) => c.id)).toContain(id);
    expect((await a.service.list('open')).map((c) => c.id)).not.toContain(id);
  });

  it('a custom rule with a winner closes when it turns true', async () => {
    const { id } = await a.service.create({
      topic: 'Lunch',
      pattern: 'time-poll',
      rule: 'remaining == 0',
      params: { winner: 'borda' },
      options: ['noon', 'one'],
      members: [alice.userId],
    });
    const shown = await a.service.show(id);
    expect(shown.rule).toBe('remaining == 0');
    expect(shown.method).toBe('cel');
    await a.service.vote(id, { rank: ['one', 'noon'] });
    const r = await a.service.recordOutcome(id);
    expect(r.outcome.result).toMatchObject({ passed: true, winner: 'one' });
  });

  it('a deadline ends it: done at the deadline, not before; votes after it are refused', async () => {
    const { id } = await a.service.create({
      topic: 'Paint the door green?',
      pattern: 'sense-check',
      method: 'majority',
      members: [alice.userId, bob.userId],
      deadline: clock.now + 3_600_000,
    });
    await a.service.vote(id, { vote: 'yes' });
    expect((await a.service.evaluation(id)).done).toBe(false);
    clock.advance(3_600_000);
    try {
      expect(await codeOf(a.service.vote(id, { vote: 'no' }))).toBe('CONVERSATION_DEADLINE_PASSED');
      const e = await a.service.evaluation(id);
      expect(e).toMatchObject({ done: true, status: 'open', createdHere: true });
      const r = await a.service.recordOutcome(id);
      expect(r.outcome.result).toMatchObject({ passed: true, reason: 'deadline' });
    } finally {
      clock.now = T0;
    }
  });

  it('keeps every byte of content sealed at rest (topic, texts, reasons, pending items)', async () => {
    const marker = `MARKER-${toHex(new Uint8Array(randomBytes(6)))}`;
    const { id } = await a.service.create({
      topic: `${marker} topic`,
      pattern: 'proposal',
      method: 'consent',
      members: [alice.userId, bob.userId],
    });
    await a.service.post(id, `${marker} post`);
    await a.service.vote(id, { object: `${marker} reason` });
    // on b, the events arrive before their genesis: they wait in the pending table
    const events = a.sync.of(id).filter((i) => i.kind === 'event');
    expect((await deliver(b, events, alice.userId)).map((r) => r.status)).toEqual(['pending', 'pending']);
    for (const node of [a, b]) {
      const dump = await dumpAll(node.database.db);
      expect(dump).toContain(id); // ids are in the clear: the dump does hold the rows
      expect(containsMarker(dump, marker)).toBe(false);
    }
    // the messages are readable through the service, and the pending ones are taken later
    expect((await a.service.show(id)).topic).toBe(`${marker} topic`);
    await deliver(
      b,
      a.sync.of(id).filter((i) => i.kind === 'genesis'),
      alice.userId,
    );
    expect((await b.service.show(id)).timeline.map((e) => e.body)).toEqual([
      { text: `${marker} post` },
      { ballot: { kind: 'objection', reason: `${marker} reason` } },
    ]);
    if (kind === 'pglite') {
      // The raw files of the embedded database, after a clean close, hold no plaintext either.
      const extra = await makeNode(kind, alice, [bob], { clock });
      const c = await extra.service.create({
        topic: `${marker} raw`,
        pattern: 'discussion',
        method: 'all-acknowledged',
        members: [alice.userId],
      });
      await extra.service.post(c.id, `${marker} raw post`);
      await extra.service.stop();
      await extra.database.close();
      expect(await filesContain(extra.target.dataDir, Buffer.from(marker))).toEqual([]);
      expect(await filesContain(extra.target.dataDir, Buffer.from(c.id))).not.toEqual([]);
      await extra.target.dispose();
    }
  });

  it('receives out of order with duplicates, converges with the sender, and takes its outcome', async () => {
    const { id } = await a.service.create({
      topic: 'Where to?',
      pattern: 'proposal',
      method: 'schulze',
      options: ['lake', 'hills', 'city'],
      members: [alice.userId, bob.userId],
    });
    await a.service.post(id, 'I vote hills.');
    await a.service.vote(id, { rank: ['hills', 'lake'] });
    const [genesis, e1, e2] = a.sync.of(id);
    const order = [e2!, e1!, e2!, genesis!, e1!, genesis!];
    const reports = await deliver(b, order, alice.userId);
    expect(reports.map((r) => r.status)).toEqual([
      'pending',
      'pending',
      'pending',
      'added',
      'duplicate',
      'duplicate',
    ]);
    const seenByB = await b.service.show(id);
    expect(seenByB.events).toBe(2);
    expect(seenByB.pending).toBe(0);
    expect(seenByB.heads).toEqual((await a.service.show(id)).heads);
    expect(seenByB.createdHere).toBe(false);

    // concurrent: bob votes on b while alice comments on a; each gets the other's event
    await b.service.vote(id, { rank: ['lake', 'city', 'hills'] });
    await a.service.post(id, 'Or the lake, fine.');
    const fromB = b.sync.of(id).filter((i) => i.kind === 'event');
    const fromA = a.sync.of(id).slice(3);
    expect(fromB).toHaveLength(1);
    expect(fromA).toHaveLength(1);
    await deliver(a, fromB, bob.userId);
    // b gets alice's outcome before alice's comment that it evaluated: the outcome waits
    const sa = await a.service.show(id);
    expect(sa.heads).toHaveLength(2);
    expect(sa.done).toBe(true);
    const recorded = await a.service.recordOutcome(id);
    const outcome = a.sync.of(id).filter((i) => i.kind === 'outcome');
    expect((await deliver(b, outcome, alice.userId)).map((r) => r.status)).toEqual(['pending']);
    expect((await b.service.show(id)).status).toBe('open');
    expect((await deliver(b, fromA, alice.userId)).map((r) => r.status)).toEqual(['added']);
    const sb = await b.service.show(id);
    expect(sb.status).toBe('closed');
    expect(sb.outcome).toEqual(recorded.outcome);
    expect(sb.timeline.map((e) => e.id)).toEqual((await a.service.show(id)).timeline.map((e) => e.id));
    expect(sb.tally).toEqual((await a.service.show(id)).tally);
    expect(sb.disagreements).toEqual([]);
    // once closed, a late duplicate is a duplicate and a new event is refused
    expect((await deliver(b, [outcome[0]!, e1!], alice.userId)).map((r) => r.status)).toEqual([
      'duplicate',
      'duplicate',
    ]);
    expect(await codeOf(b.service.post(id, 'late'))).toBe('CONVERSATION_CLOSED');
  });

  it('a disagreeing outcome is stored and shown, never taken; a conflicting one is kept beside', async () => {
    const { id } = await a.service.create({
      topic: 'Adopt the cat?',
      pattern: 'sense-check',
      method: 'majority',
      members: [alice.userId, bob.userId],
    });
    await a.service.vote(id, { vote: 'yes' });
    const items = a.sync.of(id);
    const genesis = openGenesis(items[0]!.bytes, () => true);
    const aliceVote = openEvent(items[1]!.bytes);
    const bobVote = signEvent(
      {
        conversation: id,
        author: bob.userId,
        kind: 'vote',
        body: { ballot: { kind: 'yes-no', vote: 'no' } },
        parents: [aliceVote.id],
        createdAt: clock.now,
      },
      bob.devices[0]!.signing,
    );
    expect((await a.service.receive('event', bobVote.bytes, bob.userId)).status).toBe('added');
    const evaluation = evaluate(genesis, [aliceVote, bobVote], clock.now);
    expect(evaluation.done).toBe(true);
    expect(evaluation.result.passed).toBe(false); // 1 yes, 1 no: a tie fails
    const forged = createOutcome(
      genesis,
      { ...evaluation, result: { ...evaluation.result, passed: true } },
      { userId: bob.userId, device: bob.devices[0]!.signing },
    );
    expect(await a.service.receive('outcome', forged.bytes, bob.userId)).toEqual({
      status: 'disagree',
      conversation: id,
      reason: 'result',
    });
    expect((await a.service.receive('outcome', forged.bytes, bob.userId)).status).toBe('duplicate');
    let shown = await a.service.show(id);
    expect(shown.status).toBe('open');
    expect(shown.disagreements).toHaveLength(1);
    expect(shown.disagreements[0]).toMatchObject({
      id: forged.id,
      reason: 'result',
      by: { userId: bob.userId },
    });
    expect(shown.disagreements[0]!.result.passed).toBe(true);

    const recorded = await a.service.recordOutcome(id);
    expect(recorded.outcome.result.passed).toBe(false);
    clock.advance(1000);
    const bobsOwn = createOutcome(genesis, evaluate(genesis, [aliceVote, bobVote], clock.now), {
      userId: bob.userId,
      device: bob.devices[0]!.signing,
    });
    clock.now = T0;
    expect((await a.service.receive('outcome', bobsOwn.bytes, bob.userId)).status).toBe('conflict');
    shown = await a.service.show(id);
    expect(shown.status).toBe('closed');
    expect(shown.outcome!.id).toBe(recorded.outcome.id);
    expect(shown.conflicts.map((c) => c.id)).toEqual([bobsOwn.id]);
    expect(shown.disagreements.map((d) => d.id)).toEqual([forged.id]);

    // everything survives a restart: re-read from the store and re-verified
    const restarted = await a.restart();
    const again = await restarted.show(id);
    expect(again).toEqual(shown);
  });

  it('a genesis from a device not yet known waits, and is taken when the identity log arrives', async () => {
    const dora = person('dora');
    // Two more nodes, each with a new database: the default 30 s is short on a loaded machine.
    const d0 = await makeNode(kind, dora, [bob], { clock });
    await b.friends.add(dora.userId, 'dora');
    await b.identity.merge(dora.log.entries);
    addDevice(dora);
    const d1 = await makeNode(kind, dora, [bob], { clock, deviceIndex: 1 });
    try {
      const { id } = await d1.service.create({
        topic: 'New phone',
        pattern: 'discussion',
        method: 'all-acknowledged',
        members: [dora.userId, bob.userId],
      });
      await d1.service.post(id, 'Hello from my new phone.');
      const items = d1.sync.of(id);
      expect(items[0]!.members.sort()).toEqual([dora.userId, bob.userId].sort());
      expect((await deliver(b, shuffled(items, 7), dora.userId)).map((r) => r.status)).toEqual([
        'pending',
        'pending',
      ]);
      expect((await b.service.list()).map((c) => c.id)).not.toContain(id);
      await b.identity.merge(dora.log.entries);
      b.events.publish('identity.updated', { userId: dora.userId });
      await b.service.retryPending();
      const shown = await b.service.show(id);
      expect(shown.events).toBe(1);
      expect(shown.pending).toBe(0);
      // the list counts the same events as the view (the web UI's unread counts compare the two)
      const listed = (await b.service.list()).find((c) => c.id === id)!;
      expect(listed.events).toBe(shown.events);
      expect(Number.isNaN(Date.parse(listed.lastActivityAt))).toBe(false);
      await d1.service.post(id, 'A second word.');
      await deliver(b, d1.sync.of(id).slice(-1), dora.userId);
      expect((await b.service.list()).find((c) => c.id === id)!.events).toBe(2);
      // not concerned: a genesis naming neither this user nor anything pending is ignored
      const other = await d1.service.create({
        topic: 'Only me',
        pattern: 'discussion',
        method: 'all-acknowledged',
        members: [dora.userId],
      });
      expect((await b.service.receive('genesis', d1.sync.of(other.id)[0]!.bytes, dora.userId)).status).toBe(
        'ignored',
      );
      // and nothing is taken from a stranger
      expect((await d0.service.receive('genesis', items[0]!.bytes, carol.userId)).status).toBe('ignored');
    } finally {
      await d0.close();
      await d1.close();
    }
  }, 120_000);
});
