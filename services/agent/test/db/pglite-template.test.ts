import { existsSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openDatabase } from '@kith/db/database';
import { readMigrations } from '@kith/db/migrate';
import { writePgliteTemplate } from '@kith/db/pglite-template';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../../test/helpers/database.ts';

// A new DATA/db starts from the build's initialised template instead of initdb
// (db/pglite-template.ts); a template that does not load falls back to initdb.
describe('PGlite template for a new data directory', () => {
  const total = readMigrations().length;
  let dir: string;
  let template: string;

  beforeAll(async () => {
    dir = await makeTempDir('kith-template-');
    template = join(dir, 'template.tar.gz');
    await writePgliteTemplate(template);
  }, 180_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('opens a new directory already migrated, and it keeps what is written across a reopen', async () => {
    const dataDir = join(dir, 'node-a');
    const first = await openDatabase({ dataDir, pgliteTemplate: template });
    try {
      // Every migration is in the template: nothing is left to apply.
      expect(await first.migrate()).toEqual({ applied: [], total });
      await first.db.execute(sql`create table kith_template_probe (n int)`);
      await first.db.execute(sql`insert into kith_template_probe values (42)`);
    } finally {
      await first.close();
    }
    const again = await openDatabase({ dataDir, pgliteTemplate: template });
    try {
      const rows = await again.db.execute(sql`select n from kith_template_probe`);
      expect((rows as unknown as { rows: { n: number }[] }).rows).toEqual([{ n: 42 }]);
    } finally {
      await again.close();
    }
  }, 180_000);

  it('falls back to initdb when the template is damaged, and the node still starts', async () => {
    const damaged = join(dir, 'damaged.tar.gz');
    writeFileSync(damaged, 'not a gzip archive');
    const dataDir = join(dir, 'node-b');
    const db = await openDatabase({ dataDir, pgliteTemplate: damaged });
    try {
      // A plain initdb: every migration applies now.
      expect((await db.migrate()).applied).toHaveLength(total);
      expect(existsSync(join(dataDir, 'db', 'PG_VERSION'))).toBe(true);
    } finally {
      await db.close();
    }
  }, 300_000);
});
