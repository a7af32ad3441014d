import type { Clock } from '@kith/agent/components';
import type { KithDb } from '@kith/agent/database';

export type { Clock, KithDb };

/** A drizzle transaction on the Kith schema. */
export type KithTx = Parameters<Parameters<KithDb['transaction']>[0]>[0];

/** Either the database or a transaction: repositories run their statements on whichever they get. */
export type Executor = KithDb | KithTx;
