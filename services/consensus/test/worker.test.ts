/**
 * The consensus worker against real conversation services (PGlite): it records when the method
 * is done after an event, at the deadline (its timer), as a fallback recorder after the
 * creating device stays silent, never when the creator's outcome came first; and over the real
 * local API (HTTP + WebSocket event stream) as `kith consensus` does. Time is driven by hand.
 */
import { isKithError } from '@kith/core/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/helpers/cluster.ts';
import { conversationRoutes } from '../../agent/src/api/routes/conversations.ts';
import { type Agent, buildAgent } from '../../agent/src/app.ts';
import { createLogger } from '../../agent/src/logger.ts';
import { testConfig } from '../../agent/test/api/harness.ts';
import {
  Clock,
  deliver,
  makeNode,
  type Person,
  person,
  type TestNode,
} from '../../agent/test/conversations/fixture.ts';
import { locateAgent } from '@kith/api/locate-agent';
import type { Timers } from '@kith/core/time';
import { localAgent } from '../../../cli/src/consensus-in-process.ts';
import { httpAgent } from '../src/http-agent.ts';
import { ConsensusWorker } from '../src/worker.ts';

/** Timers that fire only when the test advances the clock. */
class ManualTimers implements Timers {
  private next = 0;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();
  constructor(private readonly clock: Clock) {}
  set(callback: () => void, ms: number): unknown {
    const id = ++this.next;
    this.pending.set(id, { at: this.clock.now + ms, callback });
    return id;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  get nextAt(): number | undefined {
    return Math.min(...[...this.pending.values()].map((p) => p.at));
  }
  advance(ms: number): void {
    this.clock.advance(ms);
    for (const [id, p] of [...this.pending]) {
      if (p.at <= this.clock.now) {
        this.pending.delete(id);
        p.callback();
      }
    }
  }
}

const logger = createLogger({ level: 'silent' });
const TIMING = { pollMs: 600_000, fallbackMs: 120_000, maxTimerMs: 86_400_000, retryMs: 5_000 };

describe('consensus worker', () => {
  const clock = new Clock();
  const timers = new ManualTimers(clock);
  let alice: Person;
  let bob: Person;
  let a: TestNode;
  let b: TestNode;
  let workerA: ConsensusWorker;
  let workerB: ConsensusWorker;

  beforeAll(async () => {
    alice = person('alice');
    bob = person('bob');
    a = await makeNode('pglite', alice, [bob], { clock });
    b = await makeNode('pglite', bob, [alice], { clock });
    const worker = (n: TestNode) =>
      new ConsensusWorker({
        agent: localAgent(n.service, n.events),
        clock: clock.read,
        timers,
        timing: TIMING,
        logger,
      });
    workerA = worker(a);
    workerB = worker(b);
    await workerA.start();
    await workerB.start();
  });
  afterAll(async () => {
    await workerA?.stop();
    await workerB?.stop();
    await a?.close();
    await b?.close();
  });

  it('records as soon as a vote makes the method done (creating device)', async () => {
    const { id } = await a.service.create({
      topic: 'Which game?',
      pattern: 'proposal',
      method: 'schulze',
      options: ['go', 'chess'],
      members: [alice.userId],
    });
    await workerA.idle();
    expect((await a.service.show(id)).status).toBe('open');
    await a.service.vote(id, { rank: ['chess', 'go'] });
    await workerA.idle();
    const shown = await a.service.show(id);
    expect(shown.status).toBe('closed');
    expect(shown.outcome?.result).toMatchObject({ winner: 'chess', reason: 'all-voted' });
    expect(workerA.recorded.map((r) => r.id)).toContain(id);
  });

  it('arms a timer for the deadline and records when it fires', async () => {
    const deadline = clock.now + 3_600_000;
    const { id } = await a.service.create({
      topic: 'Fix the fence?',
      pattern: 'sense-check',
      method: 'majority',
      members: [alice.userId, bob.userId],
      deadline,
    });
    await a.service.vote(id, { vote: 'yes' });
    await workerA.idle();
    expect(workerA.schedule.get(id)).toBe(deadline);
    expect((await a.service.show(id)).status).toBe('open');
    timers.advance(deadline - clock.now);
    await workerA.idle();
    const shown = await a.service.show(id);
    expect(shown.status).toBe('closed');
    expect(shown.outcome?.result).toMatchObject({ passed: true, reason: 'deadline' });
  });

  it('a member device that did not create it records only after the fallback delay', async () => {
    const { id } = await b.service.create({
      topic: 'Bob asks: pizza?',
      pattern: 'sense-check',
      method: 'majority',
      members: [alice.userId, bob.userId],
    });
    await b.service.vote(id, { vote: 'yes' });
    await deliver(a, b.sync.of(id), bob.userId);
    await a.service.vote(id, { vote: 'yes' });
    await workerA.idle();
    const since = clock.now;
    expect((await a.service.evaluation(id)).done).toBe(true);
    expect((await a.service.show(id)).status).toBe('open');
    expect(workerA.schedule.get(id)).toBe(since + TIMING.fallbackMs);
    timers.advance(TIMING.fallbackMs);
    await workerA.idle();
    const shown = await a.service.show(id);
    expect(shown.status).toBe('closed');
    expect(shown.outcome?.by.userId).toBe(alice.userId);
  });

  it('when the creating device records first, the other worker leaves it', async () => {
    const { id } = await b.service.create({
      topic: 'Bob asks: tea?',
      pattern: 'sense-check',
      method: 'majority',
      members: [alice.userId, bob.userId],
    });
    await deliver(a, b.sync.of(id), bob.userId);
    await a.service.vote(id, { vote: 'no' });
    await workerA.idle();
    expect(workerA.schedule.has(id)).toBe(true);
    // alice's vote reaches bob, whose worker (creating device) records at once
    await deliver(b, a.sync.of(id), alice.userId);
    await workerB.idle();
    const recorded = b.sync.of(id).filter((i) => i.kind === 'outcome');
    expect(recorded).toHaveLength(1);
    await deliver(a, recorded, bob.userId);
    await workerA.idle();
    expect(workerA.schedule.has(id)).toBe(false);
    timers.advance(TIMING.fallbackMs);
    await workerA.idle();
    const shown = await a.service.show(id);
    expect(shown.outcome?.by.userId).toBe(bob.userId);
    expect(a.sync.of(id).filter((i) => i.kind === 'outcome')).toEqual([]);
  });

  describe('over the local API (kith consensus)', () => {
    let agent: Agent;
    let remote: ConsensusWorker;
    let node: TestNode;

    beforeAll(async () => {
      node = await makeNode('pglite', person('erin'), []);
      agent = await buildAgent({
        config: testConfig(node.target.dataDir),
        components: {
          db: node.database,
          logger,
          clock: Date.now,
          random: (n) => crypto.getRandomValues(new Uint8Array(n)),
        },
        events: node.events,
        plugins: [conversationRoutes(node.service)],
      });
      await agent.start();
    });
    afterAll(async () => {
      await remote?.stop();
      await agent?.stop();
      await node?.close();
    });

    it('lists, evaluates and records through HTTP, woken by the event stream', async () => {
      const port = httpAgent({ locate: () => locateAgent(node.target.dataDir), logger });
      const me = node.person.userId;
      const { id } = await node.service.create({
        topic: 'Remote',
        pattern: 'proposal',
        method: 'plurality',
        options: ['x', 'y'],
        members: [me],
      });
      // Waits follow the agent's state: under load the API may answer after a while.
      const open = await waitFor('the API to list the conversation as open', async () => {
        const list = await port.listOpen();
        return list.some((c) => c.id === id) ? list : undefined;
      });
      expect(open.map((c) => c.id)).toEqual([id]);
      expect(await port.evaluation(id)).toMatchObject({ id, status: 'open', done: false, createdHere: true });
      const refused = await port.record(id).catch((e: unknown) => e);
      expect(isKithError(refused, 'CONVERSATION_NOT_DONE')).toBe(true);

      remote = new ConsensusWorker({ agent: port, timing: TIMING, logger });
      await remote.start();
      await node.service.vote(id, { choice: 'y' });
      // The agent closes the conversation before the worker has read the answer to its call:
      // wait for the worker's own record, not for the closed state alone.
      await waitFor('the remote worker to record', async () =>
        remote.recorded.some((r) => r.id === id) ? true : undefined,
      );
      const closed = await node.service.show(id);
      expect(closed.status).toBe('closed');
      expect(closed.outcome?.result).toMatchObject({ winner: 'y' });
      expect(remote.recorded.map((r) => r.id)).toEqual([id]);
      expect(
        await waitFor('the API to list nothing open', async () =>
          (await port.listOpen()).length === 0 ? [] : undefined,
        ),
      ).toEqual([]);
    });
  });
});
