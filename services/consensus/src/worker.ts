/**
 * The consensus worker (docs/DESIGN.md §3 services/consensus, §8): watches the open conversations of one
 * agent, asks whether each one's method is done when something may have changed it (a new
 * event, its deadline, a periodic re-check), and then asks the agent to record the signed
 * outcome, which the agent ships to the members.
 *
 * Who records (docs/CONSENSUS.md "The consensus worker"): the device that created the
 * conversation records as soon as the method is done; any other member device records only if
 * no outcome arrived `fallbackMs` after it first saw the method done (the creator's device may
 * be offline). Two outcomes for different heads can still happen; members keep the first they
 * verified and show the other as a conflict. Run ONE worker per agent: `kith up` runs it in
 * process, `kith agent` leaves it to `kith consensus` (the agent serialises recording, so a
 * second worker is harmless but useless).
 *
 * Checks run one at a time (modest CPU); one timer waits for the nearest due time.
 */
import { isKithError } from '@kith/core/errors';
import type { ConsensusAgent } from './agent-port.ts';
import { DEFAULT_WORKER_TIMING, realTimers, type Timers, type WorkerTiming } from './timing.ts';

export interface WorkerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface ConsensusWorkerOptions {
  agent: ConsensusAgent;
  clock?: () => number;
  timers?: Timers;
  timing?: Partial<WorkerTiming>;
  logger: WorkerLogger;
}

export interface WorkerRecord {
  id: string;
  outcome: string;
  at: number;
}

export class ConsensusWorker {
  readonly name = 'consensus-worker';
  private readonly agent: ConsensusAgent;
  private readonly clock: () => number;
  private readonly timers: Timers;
  private readonly timing: WorkerTiming;
  private readonly log: WorkerLogger;
  /** When each conversation must be checked again (deadline, fallback, retry). */
  private readonly due = new Map<string, number>();
  /** When this worker first saw each conversation done (fallback recorders). */
  private readonly doneSince = new Map<string, number>();
  private readonly queue = new Set<string>();
  private nextPollAt = 0;
  private timer: unknown;
  private unsubscribe: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private idleWaiters: (() => void)[] = [];
  /** Outcomes this worker recorded (for logs and tests). */
  readonly recorded: WorkerRecord[] = [];

  constructor(options: ConsensusWorkerOptions) {
    this.agent = options.agent;
    this.clock = options.clock ?? Date.now;
    this.timers = options.timers ?? realTimers;
    this.timing = { ...DEFAULT_WORKER_TIMING, ...options.timing };
    this.log = options.logger;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.unsubscribe = this.agent.subscribe((change) => {
      if (change.type === 'resync') void this.resync();
      else if (change.type === 'closed') this.forget(change.id);
      else this.enqueue(change.id);
    });
    await this.resync();
    this.log.info(
      { pollMs: this.timing.pollMs, fallbackMs: this.timing.fallbackMs },
      'consensus worker started',
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.timers.clear(this.timer);
    this.timer = undefined;
    this.queue.clear();
    await this.running;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves once nothing is queued or being checked (tests; shutdown). */
  idle(): Promise<void> {
    if (!this.running && this.queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** When each conversation is due for a check (for tests and status). */
  get schedule(): ReadonlyMap<string, number> {
    return this.due;
  }

  /** Re-reads the open conversations and checks each one. */
  async resync(): Promise<void> {
    if (this.stopped) return;
    this.nextPollAt = this.clock() + this.timing.pollMs;
    try {
      for (const c of await this.agent.listOpen()) this.enqueue(c.id);
    } catch (err) {
      this.log.warn(
        { code: isKithError(err) ? err.code : undefined },
        'consensus: the agent did not list conversations',
      );
      this.nextPollAt = this.clock() + this.timing.retryMs;
    }
    this.arm();
  }

  private enqueue(id: string): void {
    if (this.stopped) return;
    this.queue.add(id);
    // Started on a later tick, so `running` is set before drain() can clear it.
    this.running ??= Promise.resolve().then(() => this.drain());
  }

  private forget(id: string): void {
    this.due.delete(id);
    this.doneSince.delete(id);
    this.queue.delete(id);
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && this.queue.size > 0) {
        const id = this.queue.values().next().value!;
        this.queue.delete(id);
        await this.check(id);
      }
    } finally {
      // Synchronous from the loop's last test: nothing can be queued in between.
      this.running = undefined;
      this.arm();
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** One conversation: done? then record (or wait for the fallback); else wait for its deadline. */
  private async check(id: string): Promise<void> {
    const now = this.clock();
    try {
      const e = await this.agent.evaluation(id);
      if (e.status === 'closed') return this.forget(id);
      if (!e.done) {
        this.doneSince.delete(id);
        const deadline = e.deadline === null ? null : Date.parse(e.deadline);
        if (deadline !== null && deadline > now) this.due.set(id, deadline);
        else this.due.delete(id);
        return;
      }
      const since = this.doneSince.get(id) ?? now;
      if (!e.createdHere && now - since < this.timing.fallbackMs) {
        this.doneSince.set(id, since);
        this.due.set(id, since + this.timing.fallbackMs);
        this.log.debug({ conversation: id }, 'consensus: done; waiting for the creating device to record');
        return;
      }
      const r = await this.agent.record(id);
      this.forget(id);
      if (r.recorded) {
        this.recorded.push({ id, outcome: r.outcome.id, at: now });
        this.log.info(
          { conversation: id, outcome: r.outcome.id, reason: r.outcome.result.reason },
          'consensus: outcome recorded',
        );
      }
    } catch (err) {
      if (isKithError(err, 'CONVERSATION_UNKNOWN')) return this.forget(id);
      if (isKithError(err, 'CONVERSATION_NOT_DONE')) {
        // Changed between the evaluation and the record (a member's ballot): look again.
        this.due.set(id, now);
        return;
      }
      this.log.warn(
        { conversation: id, code: isKithError(err) ? err.code : undefined },
        'consensus: check failed',
      );
      this.due.set(id, now + this.timing.retryMs);
    }
  }

  /** One timer for the nearest due check or the next poll. */
  private arm(): void {
    if (this.stopped) return;
    this.timers.clear(this.timer);
    let next = this.nextPollAt;
    for (const at of this.due.values()) next = Math.min(next, at);
    const delay = Math.min(Math.max(0, next - this.clock()), this.timing.maxTimerMs);
    this.timer = this.timers.set(() => this.fire(), delay);
  }

  private fire(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.clock();
    for (const [id, at] of this.due) {
      if (at <= now) {
        this.due.delete(id);
        this.enqueue(id);
      }
    }
    if (now >= this.nextPollAt) void this.resync();
    else this.arm();
  }
}
