import { KithError } from '@kith/core/errors';
import { and, asc, count, eq, getTableName, gt, inArray, type SQL, sql } from 'drizzle-orm';
import { rowsOf } from '@kith/db/migrate';
import { archiveBlobs } from '@kith/db/schema';
import {
  type ArchiveBlobKind,
  type BlobInput,
  type BlobMeta,
  blobKey,
  blobProblem,
  compareIds,
  MAX_BLOB_BYTES,
  type StoredBlob,
} from './blob.ts';
import type { Clock, Executor, KithDb } from './database.ts';
import { FOREIGN_KEY_VIOLATION, RESTRICT_VIOLATION, sqlState } from './pg-error.ts';
import { QuotaRepository, type UsageDelta } from './quota-repository.ts';

/** `stored`: written now; `present`: the same bytes were already stored (not an error). */
export type PutStatus = 'stored' | 'present';
export type PutOutcome =
  | { readonly status: PutStatus }
  | { readonly status: 'refused'; readonly error: KithError };

export interface BlobStats {
  readonly items: number;
  readonly bytes: number;
}

export interface BlobRepositoryOptions {
  /** Where usage is counted and limits come from (default: a QuotaRepository on the same db). */
  quotas?: QuotaRepository;
  /** Largest ciphertext accepted (default MAX_BLOB_BYTES). */
  maxBlobBytes?: number;
}

/** Rows per INSERT statement: 7 parameters a row stays far below Postgres' 65535. */
const ROWS_PER_INSERT = 1000;

const STORED: PutOutcome = { status: 'stored' };
const PRESENT: PutOutcome = { status: 'present' };

const metaColumns = {
  id: archiveBlobs.id,
  ownerId: archiveBlobs.ownerId,
  kind: archiveBlobs.kind,
  size: archiveBlobs.size,
  createdAt: archiveBlobs.createdAt,
  updatedAt: archiveBlobs.updatedAt,
};

const INSERT_COLUMNS = [
  archiveBlobs.id,
  archiveBlobs.ownerId,
  archiveBlobs.kind,
  archiveBlobs.size,
  archiveBlobs.createdAt,
  archiveBlobs.updatedAt,
  archiveBlobs.ciphertext,
];
const INSERT_HEAD = `insert into "${getTableName(archiveBlobs)}" (${INSERT_COLUMNS.map((c) => `"${c.name}"`).join(', ')}) values `;
const INSERT_TAIL = ` on conflict do nothing returning "${archiveBlobs.ownerId.name}", "${archiveBlobs.id.name}"`;

/**
 * One multi-row `INSERT ... ON CONFLICT DO NOTHING RETURNING owner_id, id`; returns the keys
 * (blobKey) of the rows actually inserted. The statement is built by hand: drizzle's insert builder spends about 30 µs per row
 * turning values into parameters (15 ms for a 500-row batch, more than the database's own
 * work), while the text below costs about 2 µs per row. Values are passed exactly as drizzle
 * would pass them (bytes as Uint8Array, instants as ISO strings), so both drivers see the same.
 */
async function insertBlobRows(tx: Executor, blobs: readonly BlobInput[], at: Date): Promise<string[]> {
  const time = at.toISOString();
  const params: unknown[] = [];
  const tuples = blobs.map((b) => {
    const n = params.push(b.id, b.ownerId, b.kind, b.ciphertext.length, time, time, b.ciphertext);
    return `($${n - 6}, $${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
  });
  const result = await tx._.session
    .prepareQuery({ sql: INSERT_HEAD + tuples.join(', ') + INSERT_TAIL, params }, undefined, undefined, false)
    .execute();
  return rowsOf<{ owner_id: string; id: Uint8Array }>(result).map((row) => blobKey(row.owner_id, row.id));
}

/**
 * Content-addressed ciphertext (docs/DESIGN.md §7, §9), keyed by (owner, id): each owner's copy is its
 * own row, so an id one user stored first does not stand in for another's. A put checks each id
 * against the bytes, counts usage against the owner's quota and writes all rows of one call in
 * one transaction, with one multi-row INSERT that skips rows already present.
 */
export class BlobRepository {
  readonly quotas: QuotaRepository;
  readonly maxBlobBytes: number;

  constructor(
    private readonly db: KithDb,
    private readonly clock: Clock,
    options: BlobRepositoryOptions = {},
  ) {
    this.quotas = options.quotas ?? new QuotaRepository(db, clock);
    this.maxBlobBytes = options.maxBlobBytes ?? MAX_BLOB_BYTES;
  }

  /**
   * Stores many blobs in one transaction; one outcome per input, in order. Invalid blobs and
   * blobs beyond their owner's quota are `refused` without failing the others; a database
   * error fails the whole call (nothing is written).
   */
  async putMany(blobs: readonly BlobInput[]): Promise<PutOutcome[]> {
    const problems = blobs.map((b) => blobProblem(b, this.maxBlobBytes));
    const valid = blobs.filter((_, i) => problems[i] === undefined);
    const written =
      valid.length === 0
        ? new Map<string, PutOutcome>()
        : await this.db.transaction((tx) => this.putIn(tx, valid));
    const seen = new Set<string>();
    return blobs.map((blob, i) => {
      const problem = problems[i];
      if (problem) return { status: 'refused', error: problem };
      const key = blobKey(blob.ownerId, blob.id);
      const outcome = written.get(key) ?? PRESENT;
      if (seen.has(key)) return outcome.status === 'stored' ? PRESENT : outcome;
      seen.add(key);
      return outcome;
    });
  }

  /** Stores one blob; throws the refusal (ARCHIVE_QUOTA_EXCEEDED, ARCHIVE_BLOB_ID_MISMATCH, ...). */
  async put(blob: BlobInput): Promise<PutStatus> {
    const [outcome] = await this.putMany([blob]);
    if (!outcome || outcome.status === 'refused') throw outcome?.error ?? new KithError('INTERNAL');
    return outcome.status;
  }

  /**
   * The write inside a caller's transaction, for blobs already checked with `blobProblem`.
   * Returns the outcome per row (`blobKey(owner, id)`). Quota rows are locked first, then rows inserted in
   * id order, so concurrent writers take locks in the same order.
   */
  async putIn(tx: Executor, blobs: readonly BlobInput[]): Promise<Map<string, PutOutcome>> {
    const at = new Date(this.clock());
    const unique = new Map<string, BlobInput>();
    for (const blob of blobs) {
      const key = blobKey(blob.ownerId, blob.id);
      if (!unique.has(key)) unique.set(key, blob);
    }
    const byOwner = new Map<string, [string, BlobInput][]>();
    for (const entry of unique) {
      const list = byOwner.get(entry[1].ownerId);
      if (list) list.push(entry);
      else byOwner.set(entry[1].ownerId, [entry]);
    }
    const usage = await this.quotas.lock(tx, [...byOwner.keys()]);
    const outcomes = new Map<string, PutOutcome>();
    const admitted: [string, BlobInput][] = [];
    for (const [owner, list] of byOwner) {
      const quota = usage.get(owner);
      if (!quota) throw new KithError('INTERNAL', 'A quota row was not locked.');
      const total = list.reduce((n, [, b]) => n + b.ciphertext.length, 0);
      if (!QuotaRepository.refusal(quota, total, list.length)) {
        admitted.push(...list);
        continue;
      }
      // Near the limit: blobs already stored cost nothing, the rest are admitted in arrival order.
      const present = await this.#existing(
        tx,
        owner,
        list.map(([, b]) => b.id),
      );
      let bytes = 0;
      let items = 0;
      for (const entry of list) {
        const [key, blob] = entry;
        if (present.has(key)) {
          outcomes.set(key, PRESENT);
          continue;
        }
        const refusal = QuotaRepository.refusal(quota, bytes + blob.ciphertext.length, items + 1);
        if (refusal) {
          outcomes.set(key, { status: 'refused', error: refusal });
          continue;
        }
        bytes += blob.ciphertext.length;
        items += 1;
        admitted.push(entry);
      }
    }
    admitted.sort(
      ([, a], [, b]) =>
        compareIds(a.id, b.id) || (a.ownerId < b.ownerId ? -1 : a.ownerId > b.ownerId ? 1 : 0),
    );
    const inserted = new Set<string>();
    for (let i = 0; i < admitted.length; i += ROWS_PER_INSERT) {
      const chunk = admitted.slice(i, i + ROWS_PER_INSERT).map(([, b]) => b);
      for (const key of await insertBlobRows(tx, chunk, at)) inserted.add(key);
    }
    const deltas = new Map<string, UsageDelta>();
    for (const [key, blob] of admitted) {
      if (!inserted.has(key)) {
        outcomes.set(key, PRESENT);
        continue;
      }
      outcomes.set(key, STORED);
      const d = deltas.get(blob.ownerId) ?? { bytes: 0, count: 0 };
      deltas.set(blob.ownerId, { bytes: d.bytes + blob.ciphertext.length, count: d.count + 1 });
    }
    await this.quotas.add(tx, deltas, at);
    return outcomes;
  }

  /** `ownerId`'s blob with this id (another owner's copy of the same bytes is not it). */
  async get(ownerId: string, id: Uint8Array): Promise<StoredBlob | undefined> {
    const [row] = await this.db
      .select()
      .from(archiveBlobs)
      .where(and(eq(archiveBlobs.ownerId, ownerId), eq(archiveBlobs.id, id)))
      .limit(1);
    return row;
  }

  async has(ownerId: string, id: Uint8Array): Promise<boolean> {
    const rows = await this.db
      .select({ one: sql<number>`1` })
      .from(archiveBlobs)
      .where(and(eq(archiveBlobs.ownerId, ownerId), eq(archiveBlobs.id, id)))
      .limit(1);
    return rows.length > 0;
  }

  /**
   * Deletes `ownerId`'s blobs and gives their room back; returns how many existed. Refuses,
   * deleting none, when one is the current version of an encrypted index (ARCHIVE_BLOB_IN_USE).
   */
  async delete(ownerId: string, ids: Uint8Array | readonly Uint8Array[]): Promise<number> {
    const list = ids instanceof Uint8Array ? [ids] : [...ids];
    if (list.length === 0) return 0;
    try {
      return await this.db.transaction((tx) => this.deleteIn(tx, ownerId, list));
    } catch (error) {
      const state = sqlState(error);
      if (state === FOREIGN_KEY_VIOLATION || state === RESTRICT_VIOLATION) {
        throw new KithError('ARCHIVE_BLOB_IN_USE', undefined, { cause: error });
      }
      throw error;
    }
  }

  /** The delete inside a caller's transaction (quota rows locked first, as in `putIn`). */
  async deleteIn(tx: Executor, ownerId: string, ids: readonly Uint8Array[]): Promise<number> {
    if (ids.length === 0) return 0;
    await this.quotas.lock(tx, [ownerId]);
    const deleted = await tx
      .delete(archiveBlobs)
      .where(and(eq(archiveBlobs.ownerId, ownerId), inArray(archiveBlobs.id, [...ids])))
      .returning({ ownerId: archiveBlobs.ownerId, size: archiveBlobs.size });
    const deltas = new Map<string, UsageDelta>();
    for (const row of deleted) {
      const d = deltas.get(row.ownerId) ?? { bytes: 0, count: 0 };
      deltas.set(row.ownerId, { bytes: d.bytes - row.size, count: d.count - 1 });
    }
    await this.quotas.add(tx, deltas, new Date(this.clock()));
    return deleted.length;
  }

  /** An owner's blobs in id order, without their bytes; page with `after` (the last id seen). */
  async list(
    ownerId: string,
    options: { after?: Uint8Array; limit?: number; kind?: ArchiveBlobKind } = {},
  ): Promise<BlobMeta[]> {
    const where: SQL[] = [eq(archiveBlobs.ownerId, ownerId)];
    if (options.after) where.push(gt(archiveBlobs.id, options.after));
    if (options.kind) where.push(eq(archiveBlobs.kind, options.kind));
    return this.db
      .select(metaColumns)
      .from(archiveBlobs)
      .where(and(...where))
      .orderBy(asc(archiveBlobs.id))
      .limit(Math.max(1, Math.min(options.limit ?? 100, 10_000)));
  }

  /** Items and ciphertext bytes stored, for one owner or for everyone. */
  async stats(ownerId?: string): Promise<BlobStats> {
    const [row] = await this.db
      .select({
        items: count(),
        bytes: sql<number>`coalesce(sum(${archiveBlobs.size}), 0)`.mapWith(Number),
      })
      .from(archiveBlobs)
      .where(ownerId === undefined ? undefined : eq(archiveBlobs.ownerId, ownerId));
    return { items: row?.items ?? 0, bytes: row?.bytes ?? 0 };
  }

  /** Which of `ownerId`'s ids are stored, as blobKey keys. */
  async #existing(tx: Executor, ownerId: string, ids: Uint8Array[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += ROWS_PER_INSERT) {
      const rows = await tx
        .select({ id: archiveBlobs.id })
        .from(archiveBlobs)
        .where(
          and(eq(archiveBlobs.ownerId, ownerId), inArray(archiveBlobs.id, ids.slice(i, i + ROWS_PER_INSERT))),
        );
      for (const row of rows) found.add(blobKey(ownerId, row.id));
    }
    return found;
  }
}
