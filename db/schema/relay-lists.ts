import { bigint, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { bytea } from './bytea.ts';

/**
 * The newest signed relay list known per user (docs/DESIGN.md §7, docs/PROTOCOL.md §10): ours and our
 * friends'. `seq` orders lists; `record` is the signed bytes (relay-list.ts), re-verified on read.
 */
export const relayLists = pgTable('relay_lists', {
  userId: text('user_id').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  record: bytea('record').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
});
