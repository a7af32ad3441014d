/**
 * How much expensive work (signature checks) one peer's messages may cost per second
 * (docs/SECURITY.md "Flooding"). A token bucket on the real, monotonic clock: it measures
 * CPU spent, not protocol time. Past the bucket a message waits, never is dropped; its session
 * keeps messages in order, so the wait holds back that peer alone, and a deep queue pauses its
 * socket (peer-session.ts).
 */
export interface WorkBudgetOptions {
  /** Units (signature checks) added per second. */
  perSecond: number;
  /** Most units that can be spent at once after a quiet spell. */
  burst: number;
}

/** Above what a node's hello exchange costs with its own devices and a few hundred friends. */
export const DEFAULT_WORK_BUDGET: Readonly<WorkBudgetOptions> = { perSecond: 2000, burst: 8000 };

export class WorkBudget {
  #tokens: number;
  #at: number;
  /** Units this budget has let through, for tests and logs. */
  spent = 0;

  constructor(
    private readonly options: WorkBudgetOptions = DEFAULT_WORK_BUDGET,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = options.burst;
    this.#at = now();
  }

  /** Resolves once `units` may be spent (at once when the bucket holds them), and spends them. */
  async spend(units: number): Promise<void> {
    const cost = Math.min(Math.max(0, units), this.options.burst);
    this.#refill();
    if (this.#tokens < cost) {
      const waitMs = Math.ceil(((cost - this.#tokens) / this.options.perSecond) * 1000);
      await new Promise((resolve) => setTimeout(resolve, waitMs).unref?.());
      this.#refill();
    }
    this.#tokens -= cost;
    this.spent += units;
  }

  #refill(): void {
    const t = this.now();
    this.#tokens = Math.min(
      this.options.burst,
      this.#tokens + ((t - this.#at) / 1000) * this.options.perSecond,
    );
    this.#at = t;
  }
}

/** One budget per peer device, kept across its links so reconnecting does not refill it. */
export class WorkBudgets {
  readonly #byDevice = new Map<string, WorkBudget>();

  constructor(private readonly options: WorkBudgetOptions = DEFAULT_WORK_BUDGET) {}

  of(deviceId: string): WorkBudget {
    let budget = this.#byDevice.get(deviceId);
    if (!budget) {
      budget = new WorkBudget(this.options);
      this.#byDevice.set(deviceId, budget);
    }
    return budget;
  }
}
