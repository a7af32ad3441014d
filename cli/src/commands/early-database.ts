/**
 * `kith up` opens its database first thing, before it loads the agent's modules or creates an
 * identity (docs/ARCHITECTURE.md "Start-up"): a first start unpacks the PGlite template and
 * boots Postgres in WebAssembly, and its waits (reading and gunzipping the template and the
 * WebAssembly on the thread pool, writing the data directory, compiling on V8's background
 * threads) now pass while the main thread loads modules, instead of one after the other.
 * The data-dir lock is taken here, so a second `kith up` on the same directory is refused
 * (DATA_DIR_LOCKED) as before, only earlier. `runAgent` takes the opened database over.
 */
import { type ConfigFlags, parseConfig } from '@kith/agent/config';
import { type KithDatabase, openDatabase } from '@kith/db/database';

export interface EarlyDatabase {
  /** The database, opening; `runAgent` awaits it and owns it from then on. */
  readonly opening: Promise<KithDatabase>;
  /** Closes it (releasing the data-dir lock) when the start failed before `runAgent` took it; idempotent. */
  abandon(): Promise<void>;
}

export function openDatabaseEarly(flags: ConfigFlags): EarlyDatabase {
  const config = parseConfig({ env: process.env, flags });
  const opening = openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    pgliteThread: config.pgliteWorker ? 'worker' : 'main',
  });
  // Seen, and reported, where runAgent awaits it; until then a failure is not "unhandled".
  opening.catch(() => {});
  return {
    opening,
    abandon: () =>
      opening.then(
        (db) => db.close(),
        () => {},
      ),
  };
}
