/**
 * Archive ingest: 1 KiB ciphertext blobs per second through the BatchWriter (group commit),
 * next to the raw multi-row INSERT ceiling of the same database in the same run (docs/DESIGN.md §3:
 * each benchmark measures its own ceiling). Run:
 *   node --import tsx bench/archive/run.ts [--ms 2000] [--batch 500] [--in-flight 2] [--json]
 * Postgres when DATABASE_URL is set (a fresh database is created and dropped), PGlite always.
 * About 20 s by default.
 *
 * Raw ceiling: one connection, one plain multi-row INSERT of `--batch` rows per statement
 * (autocommit), into a table created `like archive_blobs including all` (same columns, checks
 * and indexes), the next batch built while the current one is written. Kith: `--batch` x 2
 * concurrent callers each awaiting `BatchWriter.put` (maxItems = --batch), i.e. id check,
 * quota lock and accounting, `on conflict do nothing returning`, one transaction per batch.
 * Both pay for building their rows (content id of each blob). Each side runs twice,
 * interleaved, and the rates are pooled, so drift from other load on the machine is shared.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { setDefaultBackend } from '../../packages/core/src/crypto/index.ts';
import { nativeBackend } from '../../packages/core/src/crypto/native.ts';
import { makeTempDir } from '../../test/helpers/database.ts';
import { describeUrl, type KithDatabase, openDatabase } from '@kith/db/database';
import { BatchWriter } from '../../services/archive/src/batch-writer.ts';
import { type BlobInput, blobInput } from '../../services/archive/src/blob.ts';
import { BlobRepository } from '../../services/archive/src/blob-repository.ts';
import { QuotaRepository } from '../../services/archive/src/quota-repository.ts';

// As every service does at boot (cli/src/main.ts): content ids hash with node:crypto.
setDefaultBackend(nativeBackend);

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const MS = Number(arg('--ms') ?? 2000);
const BATCH = Number(arg('--batch') ?? 500);
const IN_FLIGHT = Number(arg('--in-flight') ?? 2);
const JSON_OUT = args.includes('--json');
const BLOB_BYTES = 1024;
const OWNERS = ['bench-owner-a', 'bench-owner-b', 'bench-owner-c', 'bench-owner-d'];
const log = (line: string) => {
  if (!JSON_OUT) process.stderr.write(`${line}\n`);
};

/** Unique 1 KiB "ciphertexts": random bytes with a counter in front, ids computed as a sender would. */
const base = new Uint8Array(randomBytes(BLOB_BYTES));
let serial = 0;
function nextBlob(): BlobInput {
  const bytes = base.slice();
  new DataView(bytes.buffer).setFloat64(0, ++serial);
  return blobInput(OWNERS[serial % OWNERS.length]!, 'current', bytes);
}

interface Rate {
  rows: number;
  ms: number;
}
const perSecond = (r: Rate) => (r.rows * 1000) / r.ms;
const pool = (a: Rate, b: Rate): Rate => ({ rows: a.rows + b.rows, ms: a.ms + b.ms });

/** Runs `step` (which writes some rows and says how many) until `ms` have passed. */
async function timed(ms: number, step: () => Promise<number>): Promise<Rate> {
  const start = performance.now();
  let rows = 0;
  while (performance.now() - start < ms) rows += await step();
  return { rows, ms: performance.now() - start };
}

/** The raw ceiling: the next batch is built while the current INSERT runs. */
async function rawCeiling(ms: number, insert: (rows: BlobInput[]) => Promise<unknown>): Promise<Rate> {
  const build = () => Array.from({ length: BATCH }, nextBlob);
  let next = build();
  return timed(ms, async () => {
    const writing = insert(next);
    const written = next.length;
    next = build();
    await writing;
    return written;
  });
}

/** Kith: 2 x batch callers, each putting one blob at a time through the writer. */
async function throughWriter(ms: number, writer: BatchWriter): Promise<Rate> {
  const start = performance.now();
  let rows = 0;
  const caller = async () => {
    while (performance.now() - start < ms) {
      await writer.put(nextBlob());
      rows++;
    }
  };
  await Promise.all(Array.from({ length: BATCH * 2 }, caller));
  await writer.flush();
  return { rows, ms: performance.now() - start };
}

/** One autocommit INSERT per blob, for context: what group commit is for. */
async function singleRows(ms: number, insertOne: (blob: BlobInput) => Promise<unknown>): Promise<Rate> {
  return timed(ms, async () => {
    await insertOne(nextBlob());
    return 1;
  });
}

function kithSide(database: KithDatabase): BatchWriter {
  const clock = () => Date.now();
  const quotas = new QuotaRepository(database.db, clock, { defaults: { bytes: 2 ** 50, count: 2 ** 40 } });
  const blobs = new BlobRepository(database.db, clock, { quotas });
  return new BatchWriter(blobs, { maxItems: BATCH, maxDelayMs: 2, maxInFlight: IN_FLIGHT });
}

interface Result {
  database: string;
  kithPerSecond: number;
  rawPerSecond: number;
  ratio: number;
  singleRowPerSecond?: number;
}

async function measure(
  name: string,
  database: KithDatabase,
  insertRaw: (rows: BlobInput[]) => Promise<unknown>,
  insertOne: ((blob: BlobInput) => Promise<unknown>) | undefined,
  ms: number,
): Promise<Result> {
  const writer = kithSide(database);
  log(`${name}: warming up`);
  await rawCeiling(ms / 8, insertRaw);
  await throughWriter(ms / 8, writer);
  log(`${name}: measuring (raw, kith, raw, kith)`);
  const raw1 = await rawCeiling(ms / 2, insertRaw);
  const kith1 = await throughWriter(ms / 2, writer);
  const raw2 = await rawCeiling(ms / 2, insertRaw);
  const kith2 = await throughWriter(ms / 2, writer);
  await writer.close();
  const raw = perSecond(pool(raw1, raw2));
  const kith = perSecond(pool(kith1, kith2));
  const result: Result = { database: name, kithPerSecond: kith, rawPerSecond: raw, ratio: kith / raw };
  if (insertOne) result.singleRowPerSecond = perSecond(await singleRows(ms / 2, insertOne));
  return result;
}

function rawRow(b: BlobInput, at: Date) {
  return {
    id: b.id,
    owner_id: b.ownerId,
    kind: b.kind,
    size: b.ciphertext.length,
    created_at: at,
    updated_at: at,
    ciphertext: b.ciphertext,
  };
}

async function postgresRun(adminUrl: string): Promise<Result> {
  const name = `kith_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const dataDir = await makeTempDir('kith-bench-archive-');
  const database = await openDatabase({ databaseUrl: url.toString(), dataDir });
  const raw = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    await database.migrate();
    await raw.unsafe('create table archive_bench_raw (like archive_blobs including all)');
    await raw.unsafe('create table archive_bench_single (like archive_blobs including all)');
    return await measure(
      `postgres (${describeUrl(adminUrl)})`,
      database,
      (rows) => {
        const at = new Date();
        return raw`insert into archive_bench_raw ${raw(rows.map((b) => rawRow(b, at)))}`;
      },
      (b) => raw`insert into archive_bench_single ${raw(rawRow(b, new Date()))}`,
      MS,
    );
  } finally {
    await raw.end({ timeout: 5 });
    await database.close();
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end({ timeout: 5 });
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function pgliteRun(): Promise<Result> {
  const dataDir = await makeTempDir('kith-bench-archive-');
  const database = await openDatabase({ dataDir });
  try {
    await database.migrate();
    const client = (database.db as unknown as { $client: PGlite }).$client;
    await client.exec('create table archive_bench_raw (like archive_blobs including all)');
    return await measure(
      'pglite',
      database,
      (rows) => {
        const at = new Date();
        const params: unknown[] = [];
        const tuples = rows.map((b) => {
          const r = rawRow(b, at);
          const n = params.push(r.id, r.owner_id, r.kind, r.size, r.created_at, r.updated_at, r.ciphertext);
          return `(${Array.from({ length: 7 }, (_, i) => `$${n - 6 + i}`).join(', ')})`;
        });
        return client.query(
          `insert into archive_bench_raw (id, owner_id, kind, size, created_at, updated_at, ciphertext) values ${tuples.join(', ')}`,
          params,
        );
      },
      undefined,
      // PGlite is one in-process connection; shorter cells keep the whole run near 20 s.
      MS * 0.75,
    );
  } finally {
    await database.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const results: Result[] = [];
const url = process.env.DATABASE_URL;
if (url) results.push(await postgresRun(url));
else log('DATABASE_URL is not set: PGlite only');
results.push(await pgliteRun());

if (JSON_OUT) {
  console.log(JSON.stringify({ blobBytes: BLOB_BYTES, batch: BATCH, ms: MS, results }, null, 2));
} else {
  const f = (n: number | undefined) => (n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));
  console.log(`\n1 KiB blobs/s, batch ${BATCH}\n`);
  console.log('| database | Kith BatchWriter | raw multi-row INSERT | Kith/raw | single-row autocommit |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.database} | ${f(r.kithPerSecond)} | ${f(r.rawPerSecond)} | ${r.ratio.toFixed(2)} | ${f(r.singleRowPerSecond)} |`,
    );
  }
}
