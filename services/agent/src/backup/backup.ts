/**
 * `kith backup` / `kith restore` (docs/ARCHITECTURE.md "Backup and restore"): one file holding
 * the device's key files as stored and a consistent dump of the database, gzipped and sealed
 * under a passphrase (backup-file.ts). Made by the running agent (so PGlite, which one process
 * owns, works too); restored with the agent stopped, into a fresh data directory and database.
 */
import { once } from 'node:events';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip } from 'node:zlib';
import { KithError } from '@kith/core/errors';
import type { KithDatabase } from '@kith/db/database';
import { writeFileAtomic } from '../keystore/atomic-write.ts';
import { dataPaths, hasKeystore } from '../keystore/index.ts';
import { openBackup, sealBackup } from './backup-file.ts';
import { type DumpLine, dumpDatabase, loadInto, resetSequences } from './database-dump.ts';

/** The data-dir folders a backup carries: the key file and the sealed identity state. */
const BACKED_UP_DIRS = ['keys', 'identity'] as const;
const FILE_PATH = /^(keys|identity)\/[A-Za-z0-9._-]{1,100}$/;
const MAX_FILE_BYTES = 16 * 1024 * 1024;

type Line =
  | { t: 'meta'; v: 1; createdAt: string; userId: string; deviceId: string; database: string }
  | { t: 'file'; path: string; data: string }
  | DumpLine
  | { t: 'end'; tables: number; rows: number };

export interface BackupSource {
  dataDir: string;
  database: KithDatabase;
  userId: string;
  deviceId: string;
  passphrase: string;
  random: (n: number) => Uint8Array;
  now: Date;
}

async function backedUpFiles(dataDir: string): Promise<{ path: string; data: Uint8Array }[]> {
  const files: { path: string; data: Uint8Array }[] = [];
  for (const dir of BACKED_UP_DIRS) {
    let names: string[];
    try {
      names = (await readdir(join(dataDir, dir))).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const path = `${dir}/${name}`;
      if (!FILE_PATH.test(path) || name.endsWith('.tmp')) continue;
      const full = join(dataDir, path);
      if (!(await stat(full)).isFile()) continue;
      files.push({ path, data: new Uint8Array(await readFile(full)) });
    }
  }
  return files;
}

/** The sealed backup as a byte stream; the database snapshot is read while it streams. */
export function writeBackup(source: BackupSource): AsyncIterable<Uint8Array> {
  const gzip = createGzip();
  const put = async (line: Line) => {
    if (!gzip.write(`${JSON.stringify(line)}\n`)) await once(gzip, 'drain');
  };
  void (async () => {
    await put({
      t: 'meta',
      v: 1,
      createdAt: source.now.toISOString(),
      userId: source.userId,
      deviceId: source.deviceId,
      database: source.database.kind,
    });
    for (const f of await backedUpFiles(source.dataDir)) {
      await put({ t: 'file', path: f.path, data: Buffer.from(f.data).toString('base64') });
    }
    let tables = 0;
    let rows = 0;
    await dumpDatabase(source.database.db, async (line) => {
      if (line.t === 'table') tables++;
      if (line.t === 'rows') rows += line.rows.length;
      await put(line);
    });
    await put({ t: 'end', tables, rows });
    gzip.end();
  })().catch((err) => gzip.destroy(err as Error));
  return sealBackup(gzip, source.passphrase, source.random, source.now);
}

export interface RestoreTarget {
  dataDir: string;
  /** Open and migrated. */
  database: KithDatabase;
  passphrase: string;
  /** Overwrite an identity already in the data dir (a fresh stack made one at first start). */
  replace?: boolean;
}

export interface RestoreReport {
  userId: string;
  deviceId: string;
  createdAt: string;
  files: number;
  tables: number;
  rows: number;
}

/** The plaintext's JSON lines. Errors of any stage (passphrase, cut short, gzip) reach the reader. */
async function* lines(sealed: AsyncIterable<Uint8Array>, passphrase: string): AsyncGenerator<Line> {
  const plain = Readable.from(openBackup(sealed, passphrase));
  const gunzip = createGunzip();
  plain.on('error', (err) => gunzip.destroy(err));
  plain.pipe(gunzip);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const parse = (text: string): Line => {
    try {
      return JSON.parse(text) as Line;
    } catch {
      throw new KithError('BACKUP_INVALID');
    }
  };
  try {
    for await (const piece of gunzip as AsyncIterable<Buffer>) {
      rest += decoder.write(piece);
      let nl = rest.indexOf('\n');
      while (nl >= 0) {
        const text = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        if (text !== '') yield parse(text);
        nl = rest.indexOf('\n');
      }
    }
  } catch (err) {
    if (err instanceof KithError) throw err;
    throw new KithError('BACKUP_INVALID', undefined, { cause: err });
  }
  if (rest !== '') yield parse(rest);
}

/** Restores a backup: the database in one transaction, then the key files. Nothing half-done. */
export async function restoreBackup(
  sealed: AsyncIterable<Uint8Array>,
  target: RestoreTarget,
): Promise<RestoreReport> {
  if ((await hasKeystore(target.dataDir)) && target.replace !== true) {
    throw new KithError(
      'RESTORE_REFUSED',
      `${target.dataDir} already holds an identity. Restore into an empty data directory, or add --replace to overwrite it (its keys are lost).`,
    );
  }
  let meta: Extract<Line, { t: 'meta' }> | undefined;
  let end: Extract<Line, { t: 'end' }> | undefined;
  const files: { path: string; data: Uint8Array }[] = [];
  await target.database.db.transaction(async (tx) => {
    const loader = await loadInto(tx);
    for await (const line of lines(sealed, target.passphrase)) {
      if (end) throw new KithError('BACKUP_INVALID');
      if (line.t === 'meta') {
        if (line.v !== 1 || meta) throw new KithError('BACKUP_INVALID');
        meta = line;
      } else if (!meta) {
        throw new KithError('BACKUP_INVALID');
      } else if (line.t === 'file') {
        const data = new Uint8Array(Buffer.from(String(line.data), 'base64'));
        if (!FILE_PATH.test(line.path) || data.length > MAX_FILE_BYTES) throw new KithError('BACKUP_INVALID');
        files.push({ path: line.path, data });
      } else if (line.t === 'schema') {
        if (line.lastMigration > (await loader.lastMigration())) {
          throw new KithError(
            'RESTORE_REFUSED',
            'The backup was made by a newer Kith than this one: upgrade, then restore.',
          );
        }
      } else if (line.t === 'table' || line.t === 'rows') {
        await loader.load(line);
      } else if (line.t === 'end') {
        end = line;
      }
    }
    if (!meta || !end) throw new KithError('BACKUP_INVALID', 'The backup ends early: it was cut short.');
    await resetSequences(tx);
  });
  const paths = dataPaths(target.dataDir);
  for (const dir of BACKED_UP_DIRS) await rm(join(paths.root, dir), { recursive: true, force: true });
  for (const f of files) {
    const full = join(paths.root, f.path);
    await mkdir(dirname(full), { recursive: true, mode: 0o700 });
    await writeFileAtomic(full, f.data, 0o600);
  }
  return {
    userId: meta!.userId,
    deviceId: meta!.deviceId,
    createdAt: meta!.createdAt,
    files: files.length,
    tables: end!.tables,
    rows: end!.rows,
  };
}
