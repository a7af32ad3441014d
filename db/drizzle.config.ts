import { defineConfig } from 'drizzle-kit';

/** `npm run db:generate` (run from the repository root) writes a new migration from db/schema.ts. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './db/migrations',
  strict: true,
  verbose: true,
});
