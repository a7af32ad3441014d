/**
 * Group commit (ARCHITECTURE "Messaging performance"): callers add work and get a promise; one
 * batch runs at a time, and the next batch is whatever was added while the last one ran (at
 * most `maxItems`). Idle, a batch starts on the next turn of the event loop, so the callers
 * already under way join it; under load batches grow by themselves and one transaction carries
 * many items. If `run` throws, every caller of that batch is rejected with its error.
 */
interface Waiting<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommit<T> {
  #queue: Waiting<T>[] = [];
  #running: Promise<void> | undefined;
  #scheduled = false;

  constructor(
    private readonly run: (batch: T[]) => Promise<void>,
    private readonly maxItems = 500,
  ) {}

  /** Items waiting for a batch (not counting the one running). */
  get pending(): number {
    return this.#queue.length;
  }

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#kick();
    });
  }

  /** Resolves once everything added so far has run. */
  async idle(): Promise<void> {
    while (this.#running || this.#scheduled || this.#queue.length) {
      if (this.#running) await this.#running;
      else await new Promise<void>((r) => setImmediate(r));
    }
  }

  #kick(): void {
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (!this.#running) this.#running = this.#drain();
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length) {
        const batch = this.#queue.splice(0, this.maxItems);
        try {
          await this.run(batch.map((w) => w.item));
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.#running = undefined;
    }
  }
}
