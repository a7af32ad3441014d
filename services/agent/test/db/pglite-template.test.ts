import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { openDatabase } from '@kith/db/database';
import { readMigrations } from '@kith/db/migrate';
import { unpackPgliteTemplate, writePgliteTemplate } from '@kith/db/pglite-template';
import { readTar } from '@kith/db/template-tar';
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

  it('is a cleanly shut down directory, so a first start runs no crash recovery', () => {
    const entries = readTar(gunzipSync(readFileSync(template)));
    expect(entries.map((e) => e.name)).toContain('PG_VERSION');
    // A running server's lock file: only in a directory archived while Postgres ran.
    expect(entries.map((e) => e.name)).not.toContain('postmaster.pid');
    const control = entries.find((e) => e.name === 'global/pg_control')!.data;
    // pg_control: system identifier (8 bytes), two versions (4 + 4), then the state; 1 = shut down.
    expect(new DataView(control.buffer, control.byteOffset, control.length).getInt32(16, true)).toBe(1);
  });

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

  it('refuses an archive whose entry climbs out of the directory: nothing written, nothing left', async () => {
    const hostile = join(dir, 'hostile.tar.gz');
    writeFileSync(hostile, gzipSync(tarOf([{ name: '/../escaped', data: 'x' }])));
    const target = join(dir, 'node-c', 'db');
    expect(await unpackPgliteTemplate(target, hostile)).toBe(false);
    expect(existsSync(join(dir, 'node-c', 'escaped'))).toBe(false);
    expect(existsSync(join(dir, 'escaped'))).toBe(false);
    expect(existsSync(target)).toBe(false);
    // The half-unpacked sibling is gone too.
    expect(existsSync(join(dir, 'node-c')) ? readdirSync(join(dir, 'node-c')) : []).toEqual([]);
  });

  it('unpacks a well-formed archive completely, with the stored modes', async () => {
    const small = join(dir, 'small.tar.gz');
    writeFileSync(small, gzipSync(tarOf([{ name: '/base/1/PG_VERSION', data: '17\n' }])));
    const target = join(dir, 'node-d', 'db');
    expect(await unpackPgliteTemplate(target, small)).toBe(true);
    expect(readdirSync(join(dir, 'node-d'))).toEqual(['db']);
    expect(readdirSync(join(target, 'base', '1'))).toEqual(['PG_VERSION']);
  });
});

/** A ustar archive of regular files (mode 0600), as PGlite's dump writes one. */
function tarOf(files: { name: string; data: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const data = Buffer.from(f.data);
    const header = Buffer.alloc(512);
    header.write(f.name, 0, 100, 'latin1');
    header.write('0000600\0', 100, 'latin1');
    header.write('0000000\0', 108, 'latin1');
    header.write('0000000\0', 116, 'latin1');
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    header.write(
      `${Math.floor(Date.now() / 1000)
        .toString(8)
        .padStart(11, '0')}\0`,
      136,
      'latin1',
    );
    header.write('        ', 148, 'latin1');
    header.write('0', 156, 'latin1');
    header.write('ustar\0' + '00', 257, 'latin1');
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
