/**
 * The one drizzle schema of Kith (docs/DESIGN.md §9), used for Postgres and PGlite alike.
 * Each part keeps its tables in `db/schema/<part>.ts`; add a line here for a new file, then
 * run `npm run db:generate` and commit the generated migration.
 */
export * from './schema/agent.ts';
export * from './schema/archive.ts';
export { bytea } from './schema/bytea.ts';
export * from './schema/messaging.ts';
export * from './schema/conversations.ts';
export * from './schema/relay-lists.ts';
