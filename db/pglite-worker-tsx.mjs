// The PGlite worker thread run from the TypeScript sources (vitest, a stale dist/): a worker
// does not load .ts by itself, so this registers tsx in the thread first. dist/ runs the
// bundled dist/pglite-worker.js instead (db/pglite-worker-client.ts).
import { register } from 'tsx/esm/api';

register();
await import('./pglite-worker.ts');
