import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { bytea } from './bytea.ts';

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Conversations this device takes part in (docs/DESIGN.md §8). Every byte of content is sealed under
 * the device storage key (docs/DESIGN.md §1; services/agent/src/conversations/store.ts): only ids,
 * statuses and times are in the clear. `id` is the conversation id (hex).
 */
export const conversations = pgTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    status: text('status', { enum: ['open', 'closed'] }).notNull(),
    /** The signed genesis, sealed. */
    genesisSealed: bytea('genesis_sealed').notNull(),
    createdAt: instant('created_at').notNull(),
    /** When this device took the outcome that closed it. */
    closedAt: instant('closed_at'),
  },
  (t) => [
    index('conversations_status').on(t.status, t.createdAt),
    check('conversations_status_check', sql`${t.status} in ('open', 'closed')`),
  ],
);

/**
 * Accepted events of a conversation (signed bytes, sealed). `position` is the event's place in
 * the canonical order, filled in once the conversation is closed (the order is final then).
 */
export const conversationEvents = pgTable(
  'conversation_events',
  {
    conversationId: text('conversation_id').notNull(),
    eventId: text('event_id').notNull(),
    eventSealed: bytea('event_sealed').notNull(),
    position: integer('position'),
    receivedAt: instant('received_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.eventId] })],
);

/**
 * Items received before what they need: events before their genesis or parents, outcomes
 * before the events they evaluated, a genesis before its creator's device is known.
 * `item_id` is the event id, the outcome id, or the conversation id for a genesis.
 */
export const conversationPending = pgTable(
  'conversation_pending',
  {
    conversationId: text('conversation_id').notNull(),
    kind: text('kind', { enum: ['genesis', 'event', 'outcome'] }).notNull(),
    itemId: text('item_id').notNull(),
    itemSealed: bytea('item_sealed').notNull(),
    fromUser: text('from_user').notNull(),
    receivedAt: instant('received_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.conversationId, t.kind, t.itemId] }),
    check('conversation_pending_kind', sql`${t.kind} in ('genesis', 'event', 'outcome')`),
  ],
);

/**
 * Outcomes (signed bytes, sealed) with this device's verdict on them: `accepted` closed the
 * conversation; `conflict` is a valid outcome for other heads that came after it; `disagree`
 * failed re-evaluation here (its reason sealed in `note_sealed`). Never overwritten.
 */
export const conversationOutcomes = pgTable(
  'conversation_outcomes',
  {
    conversationId: text('conversation_id').notNull(),
    outcomeId: text('outcome_id').notNull(),
    verdict: text('verdict', { enum: ['accepted', 'conflict', 'disagree'] }).notNull(),
    outcomeSealed: bytea('outcome_sealed').notNull(),
    noteSealed: bytea('note_sealed'),
    receivedAt: instant('received_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.conversationId, t.outcomeId] }),
    check('conversation_outcomes_verdict', sql`${t.verdict} in ('accepted', 'conflict', 'disagree')`),
  ],
);

/**
 * Items this device made and stored whose handing to the outbox (messaging's commit) is not yet
 * known to be done, written in the same transaction as the item: a node killed between the two
 * kept an event no one else ever got, and every later event of its, built on it, waited as
 * pending on every other device (docs/SECURITY.md "Chaos"). Shipped again at start, then deleted;
 * a receiver takes a duplicate once. `item_id` as in conversation_pending.
 */
export const conversationUnshipped = pgTable(
  'conversation_unshipped',
  {
    conversationId: text('conversation_id').notNull(),
    kind: text('kind', { enum: ['genesis', 'event', 'outcome'] }).notNull(),
    itemId: text('item_id').notNull(),
    itemSealed: bytea('item_sealed').notNull(),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.conversationId, t.kind, t.itemId] }),
    check('conversation_unshipped_kind', sql`${t.kind} in ('genesis', 'event', 'outcome')`),
  ],
);
