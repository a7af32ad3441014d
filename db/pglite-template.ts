import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrateDatabase } from './migrate.ts';
import * as schema from './schema.ts';

/**
 * A PGlite data directory initialised once, at build time, with every migration applied
 * (docs/ARCHITECTURE.md, "Build"). `initdb` on a new directory is most of a first `kith up`
 * (tens of seconds on a small machine); loading this archive instead takes about a second.
 * db/ and dist/ both sit one level below the repository root, so the same relative URL finds
 * it from the sources and from the bundled chunks in dist/.
 */
export const PGLITE_TEMPLATE_FILE = fileURLToPath(new URL('../dist/pglite-template.tar.gz', import.meta.url));

/** Builds the template in memory (no disk initdb) and writes it, gzip-compressed, to `file`. */
export async function writePgliteTemplate(file: string = PGLITE_TEMPLATE_FILE): Promise<number> {
  const client = await PGlite.create();
  try {
    await migrateDatabase(drizzle({ client, schema }) as never);
    const dump = await client.dumpDataDir('gzip');
    const bytes = Buffer.from(await dump.arrayBuffer());
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    return bytes.length;
  } finally {
    await client.close();
  }
}

/** True when `path` holds no initialised PGlite data directory yet. */
export function isNewPgliteDir(path: string): boolean {
  return !existsSync(join(path, 'PG_VERSION'));
}

/**
 * Opens PGlite on a new data directory from the template. Returns undefined when there is no
 * template or it does not load (another PGlite version, a damaged file): the directory is
 * removed again and the caller initialises it the ordinary way, so a template never decides
 * whether a node starts, only how fast.
 */
export async function createFromPgliteTemplate(path: string, file: string): Promise<PGlite | undefined> {
  let tar: Buffer;
  try {
    tar = gunzipSync(readFileSync(file));
  } catch {
    return undefined;
  }
  try {
    return await PGlite.create(path, { loadDataDir: new Blob([tar]) });
  } catch {
    rmSync(path, { recursive: true, force: true });
    return undefined;
  }
}
