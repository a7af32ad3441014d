import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzip, gzipSync } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { readTar, type TarEntry, writeTar } from './template-tar.ts';

/**
 * A PGlite data directory initialised once, at build time, with every migration applied
 * (docs/ARCHITECTURE.md, "Build"). `initdb` on a new directory is most of a first `kith up`
 * (tens of seconds on a small machine); loading this archive instead takes about a second.
 * db/ and dist/ both sit one level below the repository root, so the same relative URL finds
 * it from the sources and from the bundled chunks in dist/.
 */
export const PGLITE_TEMPLATE_FILE = fileURLToPath(new URL('../dist/pglite-template.tar.gz', import.meta.url));

/**
 * Builds the template in memory (no disk initdb) and writes it, gzip-compressed, to `file`.
 * The directory is archived after PGlite closed it, i.e. after Postgres's shutdown checkpoint:
 * a node's first start then opens a cleanly shut down directory. (`dumpDataDir` archives a
 * running one: every first start ran crash recovery, replaying the migrations' WAL and writing
 * a checkpoint, and rebuilt the relation cache it had thrown away.)
 */
export async function writePgliteTemplate(file: string = PGLITE_TEMPLATE_FILE): Promise<number> {
  // Loaded here only: the database worker thread imports this file to unpack, never to build.
  const [{ drizzle }, { migrateDatabase }, schema] = await Promise.all([
    import('drizzle-orm/pglite'),
    import('./migrate.ts'),
    import('./schema.ts'),
  ]);
  const client = await PGlite.create();
  // Its in-memory file system outlives the instance: read once Postgres has shut down.
  const fs = client.Module.FS as unknown as MemoryFs;
  try {
    await migrateDatabase(drizzle({ client, schema }) as never);
  } finally {
    await client.close();
  }
  const entries = memoryDir(fs, PGDATA);
  if (!entries.some((e) => e.name === 'PG_VERSION') || entries.some((e) => e.name === 'postmaster.pid'))
    throw new Error('pglite template: the data directory was not shut down cleanly');
  const bytes = gzipSync(writeTar(entries), { level: 9 });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  return bytes.length;
}

/** Where PGlite keeps its data directory in its in-memory file system. */
const PGDATA = '/pglite/data';

/** The part of Emscripten's FS this reads. */
interface MemoryFs {
  readdir(path: string): string[];
  stat(path: string): { mode: number; mtime: Date };
  isDir(mode: number): boolean;
  isFile(mode: number): boolean;
  readFile(path: string): Uint8Array;
}

/** Every directory and regular file under `root`, parents first, names relative to it. */
function memoryDir(fs: MemoryFs, root: string): TarEntry[] {
  const out: TarEntry[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdir(`${root}${dir}`).sort()) {
      if (name === '.' || name === '..') continue;
      const rel = dir === '' ? name : `${dir.slice(1)}/${name}`;
      const st = fs.stat(`${root}/${rel}`);
      const mtime = Math.floor(st.mtime.getTime() / 1000);
      if (fs.isDir(st.mode)) {
        out.push({ name: rel, type: 'dir', mode: st.mode & 0o7777, mtime, data: new Uint8Array(0) });
        walk(`/${rel}`);
      } else if (fs.isFile(st.mode)) {
        out.push({
          name: rel,
          type: 'file',
          mode: st.mode & 0o7777,
          mtime,
          data: fs.readFile(`${root}/${rel}`),
        });
      }
    }
  };
  walk('');
  return out;
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
 *
 * The archive is unpacked onto the disk here (gunzip and file writes on libuv's thread pool,
 * beside whatever the main thread does meanwhile) and PGlite then opens the directory as it
 * opens any existing one. PGlite's own `loadDataDir` unpacked it on the main thread through its
 * in-memory file system, about a fifth of a first `kith up` (bench/README.md "Startup").
 */
export async function createFromPgliteTemplate(path: string, file: string): Promise<PGlite | undefined> {
  if (!(await unpackPgliteTemplate(path, file))) return undefined;
  try {
    return await PGlite.create(path);
  } catch {
    rmSync(path, { recursive: true, force: true });
    return undefined;
  }
}

const unzipped = new Map<string, Promise<Buffer>>();

/**
 * Starts reading and gunzipping the template on the thread pool, for the unpack that follows
 * (`kith up` calls it first thing, so this overlaps loading the agent's modules). Writes
 * nothing: the directory itself is written under the data-dir lock (openDatabase).
 */
export function preloadPgliteTemplate(file: string = PGLITE_TEMPLATE_FILE): void {
  if (unzipped.has(file)) return;
  const loading = readFile(file).then((bytes) => promisify(gunzip)(bytes));
  loading.catch(() => {}); // seen again, and handled, by the unpack that uses it
  unzipped.set(file, loading);
}

/**
 * Files written at once while unpacking. Each write is open, write and close on the thread
 * pool, and each step continues only when the main thread, busy loading the agent's modules
 * meanwhile, gets back to its event loop: many writes in flight, few steps each, so the
 * template is on disk early (16 writes of 5 steps each, with a mkdir and a utimes per file,
 * took about 2 s of a 4-5 s start).
 */
const WRITES_IN_FLIGHT = 64;

/**
 * Unpacks the template into `path` (which must not exist yet): into a sibling directory first,
 * renamed into place when complete, so a crash half-way never leaves a directory that looks
 * initialised (PG_VERSION present) but is not. False when there is no usable template.
 * Modification times are not kept: Postgres does not read them.
 */
export async function unpackPgliteTemplate(path: string, file: string): Promise<boolean> {
  const partial = `${path}.unpacking-${process.pid}`;
  try {
    preloadPgliteTemplate(file);
    const tar = unzipped.get(file)!;
    unzipped.delete(file); // 40 MB: not kept past its one use
    const entries = readTar(await tar);
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true, mode: 0o700 });
    // A few dozen directories, parents first: made at once, before any file.
    const dirs = new Map<string, number>();
    for (const e of entries) {
      if (e.type === 'dir') dirs.set(e.name, e.mode || 0o700);
      else if (e.name.includes('/')) dirs.set(dirname(e.name), dirs.get(dirname(e.name)) ?? 0o700);
    }
    for (const [name, mode] of [...dirs].sort(([a], [b]) => a.length - b.length))
      mkdirSync(join(partial, name), { recursive: true, mode });
    const files = entries.filter((e) => e.type === 'file');
    let next = 0;
    const writer = async () => {
      while (next < files.length) {
        const e = files[next++]!;
        await writeFile(join(partial, e.name), e.data, { mode: e.mode || 0o600 });
      }
    };
    await Promise.all(Array.from({ length: WRITES_IN_FLIGHT }, writer));
    await rename(partial, path);
    return true;
  } catch {
    await rm(partial, { recursive: true, force: true }).catch(() => {});
    return false;
  }
}
