/**
 * A logical dump of Kith's tables through the app's own connection (docs/ARCHITECTURE.md
 * "Backup and restore"): the same code for PGlite and Postgres, no pg_dump needed. Rows are
 * read in one REPEATABLE READ, READ ONLY transaction, so the dump is one consistent snapshot
 * while the agent keeps running; each row travels as Postgres's own `row_to_json` text and is
 * read back with `json_populate_recordset`, so every type (bytea, bigint, jsonb, timestamps)
 * round-trips exactly.
 */
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../../../db/migrate.ts';
import type { KithDb } from '@kith/db/database';

/** One line of the dump. Rows are JSON text made by Postgres, kept verbatim. */
export type DumpLine =
  | { t: 'schema'; lastMigration: number }
  | { t: 'table'; name: string; columns: string[] }
  | { t: 'rows'; name: string; rows: string[] };

const FETCH_ROWS = 100;

type Tx = Parameters<Parameters<KithDb['transaction']>[0]>[0];

/** The public tables, parents before the tables whose foreign keys point at them. */
async function tablesInOrder(tx: Tx): Promise<string[]> {
  const tables = rowsOf<{ name: string }>(
    await tx.execute(sql`
      select table_name as name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`),
  ).map((r) => r.name);
  const edges = rowsOf<{ child: string; parent: string }>(
    await tx.execute(sql`
      select c.relname as child, p.relname as parent from pg_constraint k
      join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
      join pg_namespace n on n.oid = c.relnamespace
      where k.contype = 'f' and n.nspname = 'public' and c.relname <> p.relname`),
  );
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (t: string) => {
    if (ordered.includes(t) || visiting.has(t)) return;
    visiting.add(t);
    for (const e of edges) if (e.child === t) visit(e.parent);
    ordered.push(t);
  };
  for (const t of tables) visit(t);
  return ordered;
}

async function columnsOf(tx: Tx, table: string): Promise<string[]> {
  return rowsOf<{ name: string }>(
    await tx.execute(sql`
      select column_name as name from information_schema.columns
      where table_schema = 'public' and table_name = ${table} order by ordinal_position`),
  ).map((r) => r.name);
}

async function lastMigration(tx: Tx): Promise<number> {
  const [row] = rowsOf<{ last: string | number | null }>(
    await tx.execute(sql`select max(created_at) as last from drizzle.__drizzle_migrations`),
  );
  return Number(row?.last ?? 0);
}

/** Writes the dump line by line; `write` may wait (back-pressure). One consistent snapshot. */
export async function dumpDatabase(db: KithDb, write: (line: DumpLine) => Promise<void>): Promise<void> {
  await db.transaction(
    async (tx) => {
      await write({ t: 'schema', lastMigration: await lastMigration(tx) });
      for (const name of await tablesInOrder(tx)) {
        await write({ t: 'table', name, columns: await columnsOf(tx, name) });
        await tx.execute(
          sql.raw(`declare kith_dump no scroll cursor for select row_to_json(t)::text as j from "${name}" t`),
        );
        for (;;) {
          const rows = rowsOf<{ j: string }>(await tx.execute(sql.raw(`fetch ${FETCH_ROWS} from kith_dump`)));
          if (rows.length === 0) break;
          await write({ t: 'rows', name, rows: rows.map((r) => r.j) });
        }
        await tx.execute(sql.raw('close kith_dump'));
      }
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

export interface DatabaseLoader {
  /** The newest migration of this code; a dump from a newer schema is refused. */
  lastMigration(): Promise<number>;
  load(line: DumpLine): Promise<void>;
}

/**
 * Loads dump lines into a migrated database inside the caller's transaction: every Kith table is
 * emptied first; a table's rows fill the columns the dump and today's schema share (columns
 * added since get their defaults).
 */
export async function loadInto(tx: Tx): Promise<DatabaseLoader> {
  const tables = await tablesInOrder(tx);
  if (tables.length > 0)
    await tx.execute(sql.raw(`truncate ${tables.map((t) => `"${t}"`).join(', ')} cascade`));
  const shared = new Map<string, string[]>();
  return {
    lastMigration: () => lastMigration(tx),
    async load(line) {
      if (line.t === 'table') {
        if (!tables.includes(line.name)) {
          shared.set(line.name, []);
          return;
        }
        const now = await columnsOf(tx, line.name);
        shared.set(
          line.name,
          line.columns.filter((c) => now.includes(c)),
        );
        return;
      }
      if (line.t !== 'rows') return;
      const columns = shared.get(line.name);
      if (!columns || columns.length === 0) return;
      const list = columns.map((c) => `"${c}"`).join(', ');
      await tx.execute(
        sql`${sql.raw(`insert into "${line.name}" (${list}) select ${list} from json_populate_recordset(null::"${line.name}", `)}${`[${line.rows.join(',')}]`}::json)`,
      );
    },
  };
}

/** Sets every serial sequence past the highest restored value. */
export async function resetSequences(tx: Tx): Promise<void> {
  const serials = rowsOf<{ tbl: string; col: string }>(
    await tx.execute(sql`
      select table_name as tbl, column_name as col from information_schema.columns
      where table_schema = 'public' and column_default like 'nextval(%'`),
  );
  for (const s of serials) {
    await tx.execute(
      sql.raw(
        `select setval(pg_get_serial_sequence('"${s.tbl}"', '${s.col}'), coalesce((select max("${s.col}") from "${s.tbl}"), 0) + 1, false)`,
      ),
    );
  }
}
