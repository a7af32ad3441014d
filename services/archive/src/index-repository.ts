import { KithError } from '@kith/core/errors';
import { and, eq } from 'drizzle-orm';
import { type ArchiveIndexName, archiveBlobs, archiveIndexes } from '@kith/db/schema';
import { blobInput, blobKey, blobProblem, sameBytes } from './blob.ts';
import { BlobRepository } from './blob-repository.ts';
import type { Clock, KithDb } from './database.ts';

export type { ArchiveIndexName };

/** The current version of one of an owner's encrypted lists. */
export interface StoredIndex {
  readonly ownerId: string;
  readonly name: ArchiveIndexName;
  /** Starts at 1 and grows by one with every store. */
  readonly version: number;
  readonly blobId: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly updatedAt: Date;
}

export interface StoreIndexInput {
  readonly ownerId: string;
  readonly name: ArchiveIndexName;
  readonly ciphertext: Uint8Array;
  /** The version the writer read (0 when there was none). Anything else is a conflict. */
  readonly expectedVersion: number;
}

/**
 * Each owner's encrypted conversation index and encrypted list of active conversations:
 * a pointer to an `index` blob plus a version. Devices of the same owner write them
 * concurrently, so a store names the version it read and loses (ARCHIVE_VERSION_CONFLICT)
 * if another device stored first; the loser reads, merges and stores again.
 */
export class IndexRepository {
  readonly blobs: BlobRepository;

  constructor(
    private readonly db: KithDb,
    private readonly clock: Clock,
    options: { blobs?: BlobRepository } = {},
  ) {
    this.blobs = options.blobs ?? new BlobRepository(db, clock);
  }

  async get(ownerId: string, name: ArchiveIndexName): Promise<StoredIndex | undefined> {
    const [row] = await this.db
      .select({
        ownerId: archiveIndexes.ownerId,
        name: archiveIndexes.name,
        version: archiveIndexes.version,
        blobId: archiveIndexes.blobId,
        ciphertext: archiveBlobs.ciphertext,
        updatedAt: archiveIndexes.updatedAt,
      })
      .from(archiveIndexes)
      .innerJoin(
        archiveBlobs,
        and(eq(archiveBlobs.ownerId, archiveIndexes.ownerId), eq(archiveBlobs.id, archiveIndexes.blobId)),
      )
      .where(and(eq(archiveIndexes.ownerId, ownerId), eq(archiveIndexes.name, name)))
      .limit(1);
    return row;
  }

  /**
   * Stores a new version in one transaction: the blob (counted in the owner's quota), the
   * pointer moved from `expectedVersion` to `expectedVersion + 1`, and the replaced blob deleted.
   * On a conflict nothing changes.
   */
  async store(input: StoreIndexInput): Promise<{ version: number; blobId: Uint8Array }> {
    const { ownerId, name, expectedVersion } = input;
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
      throw new KithError(
        'INVALID_INPUT',
        'The expected version is a whole number, 0 when there is none yet.',
      );
    }
    const blob = blobInput(ownerId, 'index', input.ciphertext);
    const problem = blobProblem(blob, this.blobs.maxBlobBytes);
    if (problem) throw problem;
    return this.db.transaction(async (tx) => {
      const outcome = (await this.blobs.putIn(tx, [blob])).get(blobKey(ownerId, blob.id));
      if (outcome?.status === 'refused') throw outcome.error;
      const [current] = await tx
        .select({ version: archiveIndexes.version, blobId: archiveIndexes.blobId })
        .from(archiveIndexes)
        .where(and(eq(archiveIndexes.ownerId, ownerId), eq(archiveIndexes.name, name)))
        .for('update');
      const currentVersion = current?.version ?? 0;
      if (currentVersion !== expectedVersion) throw conflict(name, expectedVersion, currentVersion);
      const version = expectedVersion + 1;
      const updatedAt = new Date(this.clock());
      if (!current) {
        const inserted = await tx
          .insert(archiveIndexes)
          .values({ ownerId, name, blobId: blob.id, version, updatedAt })
          .onConflictDoNothing()
          .returning({ version: archiveIndexes.version });
        // Another device created it between our read and insert.
        if (inserted.length === 0) throw conflict(name, expectedVersion, undefined);
      } else {
        await tx
          .update(archiveIndexes)
          .set({ blobId: blob.id, version, updatedAt })
          .where(and(eq(archiveIndexes.ownerId, ownerId), eq(archiveIndexes.name, name)));
        if (!sameBytes(current.blobId, blob.id)) {
          // The old version goes unless another list happens to name the same bytes.
          const [stillUsed] = await tx
            .select({ name: archiveIndexes.name })
            .from(archiveIndexes)
            .where(and(eq(archiveIndexes.ownerId, ownerId), eq(archiveIndexes.blobId, current.blobId)))
            .limit(1);
          if (!stillUsed) await this.blobs.deleteIn(tx, ownerId, [current.blobId]);
        }
      }
      return { version, blobId: blob.id };
    });
  }

  /**
   * Keeps `version` when it is higher than the one stored (docs/PROTOCOL.md "Archive retrieval":
   * holders of another device's lists, and own devices adopting a newer copy). Unlike `store`
   * the version is the writer's, not this store's next number. A tie keeps what is here.
   */
  async storeNewer(input: StoreNewerInput): Promise<StoreNewerOutcome> {
    const { ownerId, name, version } = input;
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new KithError('INVALID_INPUT', 'A list version is a whole number from 1.');
    }
    const blob = blobInput(ownerId, 'index', input.ciphertext);
    const problem = blobProblem(blob, this.blobs.maxBlobBytes);
    if (problem) throw problem;
    try {
      return await this.db.transaction(async (tx) => {
        // The blob write locks the owner's quota row first, which also orders concurrent writers.
        const outcome = (await this.blobs.putIn(tx, [blob])).get(blobKey(ownerId, blob.id));
        if (outcome?.status === 'refused') throw outcome.error;
        const [current] = await tx
          .select({ version: archiveIndexes.version, blobId: archiveIndexes.blobId })
          .from(archiveIndexes)
          .where(and(eq(archiveIndexes.ownerId, ownerId), eq(archiveIndexes.name, name)))
          .for('update');
        if (current && current.version >= version) {
          if (current.version === version && sameBytes(current.blobId, blob.id)) {
            return { status: 'present', version, blobId: blob.id } as const;
          }
          // Roll back: the blob just written must not stay behind.
          throw new Stale(current.version);
        }
        const updatedAt = new Date(this.clock());
        await tx
          .insert(archiveIndexes)
          .values({ ownerId, name, blobId: blob.id, version, updatedAt })
          .onConflictDoUpdate({
            target: [archiveIndexes.ownerId, archiveIndexes.name],
            set: { blobId: blob.id, version, updatedAt },
          });
        if (current && !sameBytes(current.blobId, blob.id)) {
          const [stillUsed] = await tx
            .select({ name: archiveIndexes.name })
            .from(archiveIndexes)
            .where(and(eq(archiveIndexes.ownerId, ownerId), eq(archiveIndexes.blobId, current.blobId)))
            .limit(1);
          if (!stillUsed) await this.blobs.deleteIn(tx, ownerId, [current.blobId]);
        }
        return { status: 'stored', version, blobId: blob.id } as const;
      });
    } catch (error) {
      if (error instanceof Stale) return { status: 'stale', version: error.version };
      throw error;
    }
  }
}

/** A version of an owner's list as another device numbered it (holders keep the newest). */
export interface StoreNewerInput {
  readonly ownerId: string;
  readonly name: ArchiveIndexName;
  readonly version: number;
  readonly ciphertext: Uint8Array;
}

export type StoreNewerOutcome =
  /** Stored now, replacing an older version (or the first one). */
  | { readonly status: 'stored'; readonly version: number; readonly blobId: Uint8Array }
  /** This exact version (same bytes) was already here. */
  | { readonly status: 'present'; readonly version: number; readonly blobId: Uint8Array }
  /** A version at least as high is already here; nothing changed. */
  | { readonly status: 'stale'; readonly version: number };

class Stale extends Error {
  constructor(readonly version: number) {
    super('stale');
  }
}

function conflict(name: ArchiveIndexName, expected: number, current: number | undefined): KithError {
  return new KithError(
    'ARCHIVE_VERSION_CONFLICT',
    current === undefined
      ? `The ${name} list was created by another device at the same time.`
      : `The ${name} list was expected at version ${expected} but is at version ${current}.`,
  );
}
