/**
 * The driver's sentence of a failed query with the values it quotes masked (docs/SECURITY.md
 * "Logs and errors"). Its own file, free of drizzle, because the PGlite worker thread
 * (db/pglite-worker.ts) masks an error before it crosses to the agent's thread, and
 * db/query-error.ts masks the same way on this side.
 */

/** The names a database error may quote: its own fields and every identifier of the query. */
export interface ErrorNames {
  constraint?: string | undefined;
  table?: string | undefined;
  column?: string | undefined;
  schema?: string | undefined;
  dataType?: string | undefined;
}

/** `message` with every quoted value masked; identifiers of `query` and `names` stay. */
export function maskDriverMessage(message: string, names: ErrorNames, query: string | undefined): string {
  const keep = new Set(
    [names.constraint, names.table, names.column, names.schema, names.dataType].filter(
      (n): n is string => !!n,
    ),
  );
  for (const word of (query ?? '').matchAll(/[A-Za-z_][A-Za-z0-9_$]*/g)) keep.add(word[0]);
  return maskValues(message, keep);
}

/**
 * `text` with every quoted span replaced by "…" unless it is one of `names` (identifiers of the
 * query and of the error), every hex byte run (`0x…`) and Node's "Received <value>" cut.
 */
export function maskValues(text: string, names: ReadonlySet<string>): string {
  return text
    .replace(/"((?:[^"]|"")*)"|'((?:[^']|'')*)'/g, (whole, dq: string | undefined) =>
      dq !== undefined ? (names.has(dq) ? whole : '"…"') : "'…'",
    )
    .replace(/\b0x[0-9A-Fa-f]+(?:\s+0x[0-9A-Fa-f]+)*/g, '0x…')
    .replace(/\bReceived\b[\s\S]*$/, 'Received …');
}
