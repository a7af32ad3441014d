import { KithError } from '@kith/core/errors';
import type { BlobInput } from './blob.ts';
import type { BlobRepository, PutStatus } from './blob-repository.ts';
import { driverMessage } from './pg-error.ts';

export interface BatchWriterOptions {
  /** How long the first put of a batch waits for company, in ms (default 2). */
  maxDelayMs?: number;
  /** A batch is written as soon as it holds this many blobs (default 500). */
  maxItems?: number;
  /** ...or this many ciphertext bytes (default 4 MiB); one larger blob still goes alone. */
  maxBytes?: number;
  /**
   * Transactions in flight at once (default 2): while one waits for the database the next is
   * checked and built. They take the owners' quota rows in the same order, so they queue on
   * each other rather than deadlock. PGlite runs them one after the other.
   */
  maxInFlight?: number;
}

export interface BatchWriterStats {
  /** Transactions committed. */
  readonly batches: number;
  /** Transactions that failed (all their callers were rejected). */
  readonly failedBatches: number;
  /** Blobs handed to committed transactions, stored, present or refused. */
  readonly items: number;
  /** Blobs waiting for the next batch. */
  readonly pending: number;
}

interface Waiting {
  readonly blob: BlobInput;
  readonly size: number;
  readonly resolve: (status: PutStatus) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for archive writes. One autocommit INSERT per blob tops out at about 2.5k rows/s
 * on Postgres here (one WAL flush each), so puts are gathered: the first put of a batch starts a
 * short window, and the batch is written when the window ends or it is full (items or bytes),
 * as one transaction with one multi-row INSERT (BlobRepository.putMany). While batches are
 * being written (at most `maxInFlight`) the next one fills up and is written as soon as one
 * finishes, so under load batches grow by themselves.
 *
 * Each caller's promise settles after its batch: `stored`/`present`, or its own refusal
 * (quota, bad id); if the transaction fails, every caller of that batch is rejected with the
 * same error and nothing of the batch is written.
 */
export class BatchWriter {
  readonly #blobs: BlobRepository;
  readonly #maxDelayMs: number;
  readonly #maxItems: number;
  readonly #maxBytes: number;
  #pending: Waiting[] = [];
  #pendingBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #maxInFlight: number;
  /** Batches being written. */
  readonly #writes = new Set<Promise<void>>();
  #closed = false;
  #batches = 0;
  #failedBatches = 0;
  #items = 0;

  constructor(blobs: BlobRepository, options: BatchWriterOptions = {}) {
    this.#blobs = blobs;
    this.#maxDelayMs = options.maxDelayMs ?? 2;
    this.#maxItems = options.maxItems ?? 500;
    this.#maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
    this.#maxInFlight = options.maxInFlight ?? 2;
    if (
      !(this.#maxDelayMs >= 0) ||
      !(this.#maxItems >= 1) ||
      !(this.#maxBytes >= 1) ||
      !(Number.isInteger(this.#maxInFlight) && this.#maxInFlight >= 1)
    ) {
      throw new KithError(
        'CONFIG_INVALID',
        'The batch writer needs maxDelayMs >= 0, maxItems >= 1, maxBytes >= 1 and a whole maxInFlight >= 1.',
      );
    }
  }

  /** Queues a blob; settles once the transaction holding it has committed (or failed). */
  put(blob: BlobInput): Promise<PutStatus> {
    if (this.#closed) return Promise.reject(new KithError('ARCHIVE_WRITER_CLOSED'));
    // A malformed blob is refused by putMany with its batch; here it only must not throw.
    const size = blob?.ciphertext instanceof Uint8Array ? blob.ciphertext.length : 0;
    return new Promise<PutStatus>((resolve, reject) => {
      this.#pending.push({ blob, size, resolve, reject });
      this.#pendingBytes += size;
      this.#schedule();
    });
  }

  /** Writes everything queued so far (and whatever arrives meanwhile); resolves when it is done. */
  async flush(): Promise<void> {
    while (this.#pending.length > 0 || this.#writes.size > 0) {
      this.#start();
      await Promise.all(this.#writes);
    }
  }

  /** Refuses new puts, writes what is queued, and waits for it. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  get stats(): BatchWriterStats {
    return {
      batches: this.#batches,
      failedBatches: this.#failedBatches,
      items: this.#items,
      pending: this.#pending.length,
    };
  }

  #schedule(): void {
    if (this.#writes.size >= this.#maxInFlight) return; // a finishing write takes the queue
    if (this.#pending.length >= this.#maxItems || this.#pendingBytes >= this.#maxBytes) {
      this.#start();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#start();
      }, this.#maxDelayMs);
    }
  }

  /** Starts writing queued batches, as many as may be in flight. */
  #start(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    while (this.#writes.size < this.#maxInFlight && this.#pending.length > 0) {
      const write: Promise<void> = this.#write(this.#take()).finally(() => {
        this.#writes.delete(write);
        // What queued up meanwhile has waited long enough: write it now, not after a window.
        if (this.#pending.length > 0) this.#start();
      });
      this.#writes.add(write);
    }
  }

  /** The oldest queued puts, up to the item and byte bounds (at least one). */
  #take(): Waiting[] {
    let n = 0;
    let bytes = 0;
    while (n < this.#pending.length && n < this.#maxItems) {
      const size = this.#pending[n]!.size;
      if (n > 0 && bytes + size > this.#maxBytes) break;
      bytes += size;
      n++;
    }
    this.#pendingBytes -= bytes;
    return this.#pending.splice(0, n);
  }

  async #write(batch: Waiting[]): Promise<void> {
    let outcomes: Awaited<ReturnType<BlobRepository['putMany']>>;
    try {
      outcomes = await this.#blobs.putMany(batch.map((w) => w.blob));
    } catch (cause) {
      this.#failedBatches++;
      const reason = `${batch.length} blobs were not stored: ${driverMessage(cause)}`;
      const error =
        cause instanceof KithError ? cause : new KithError('ARCHIVE_WRITE_FAILED', reason, { cause });
      for (const w of batch) w.reject(error);
      return;
    }
    this.#batches++;
    this.#items += batch.length;
    batch.forEach((w, i) => {
      const outcome = outcomes[i];
      if (outcome && outcome.status !== 'refused') w.resolve(outcome.status);
      else w.reject(outcome?.error ?? new KithError('INTERNAL', 'A batch returned too few outcomes.'));
    });
  }
}
