// The archive's view of its dependencies: core's clock and the database package (never the agent).
export type { Clock } from '@kith/core/time';
export type { Executor, KithDb, KithTx } from '@kith/db/database';
