/** The encrypted archive store (docs/DESIGN.md §7, §9): repositories over Postgres/PGlite and group commit. */
export { BatchWriter, type BatchWriterOptions, type BatchWriterStats } from './batch-writer.ts';
export {
  type ArchiveBlobKind,
  type BlobInput,
  type BlobMeta,
  blobInput,
  blobProblem,
  MAX_BLOB_BYTES,
  type StoredBlob,
} from './blob.ts';
export {
  BlobRepository,
  type BlobRepositoryOptions,
  type BlobStats,
  type PutOutcome,
  type PutStatus,
} from './blob-repository.ts';
export { CONTENT_ID_BYTES, contentId } from './content-id.ts';
export {
  type ArchiveHolderStatus,
  type HolderRecord,
  HolderRepository,
  type UnderReplicated,
} from './holder-repository.ts';
export {
  type ArchiveIndexName,
  IndexRepository,
  type StoredIndex,
  type StoreIndexInput,
  type StoreNewerInput,
  type StoreNewerOutcome,
} from './index-repository.ts';
export {
  DEFAULT_QUOTA,
  type QuotaLimits,
  QuotaRepository,
  type QuotaRepositoryOptions,
  type QuotaUsage,
  type UsageDelta,
} from './quota-repository.ts';
