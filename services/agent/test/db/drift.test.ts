import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The committed migrations must match db/schema.ts: drizzle-kit generates against a copy of
 * db/migrations and must find nothing to add. A control run on a schema copy with one extra
 * table shows that this check really notices a change.
 */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DRIZZLE_KIT = join(ROOT, 'node_modules/drizzle-kit/bin.cjs');
// Inside the repository so the schema copy resolves drizzle-orm from node_modules.
const SCRATCH = join(ROOT, 'node_modules/.cache');

const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

async function scratchDir(): Promise<string> {
  await mkdir(SCRATCH, { recursive: true });
  const dir = await mkdtemp(join(SCRATCH, 'kith-drift-'));
  made.push(dir);
  return dir;
}

/** drizzle-kit exits 0 even when it fails, so its output is checked too. */
function generate(schema: string, out: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      // drizzle-kit takes these paths relative to its working directory only
      [
        DRIZZLE_KIT,
        'generate',
        '--dialect',
        'postgresql',
        '--schema',
        relative(ROOT, schema),
        '--out',
        relative(ROOT, out),
        '--name',
        'drift',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function sqlFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
}

describe('committed migrations match the schema', () => {
  it('drizzle-kit generate finds no change to db/schema.ts', async () => {
    const out = join(await scratchDir(), 'migrations');
    await cp(join(ROOT, 'db/migrations'), out, { recursive: true });
    const before = await sqlFiles(out);
    const result = await generate(join(ROOT, 'db/schema.ts'), out);
    expect(result.code, result.output).toBe(0);
    expect(await sqlFiles(out), `run npm run db:generate and commit the result\n${result.output}`).toEqual(
      before,
    );
    expect(result.output).toContain('No schema changes');
  }, 60_000);

  it('control: the same check notices a table added to a copy of the schema', async () => {
    const dir = await scratchDir();
    await cp(join(ROOT, 'db/schema.ts'), join(dir, 'schema.ts'));
    await cp(join(ROOT, 'db/schema'), join(dir, 'schema'), { recursive: true });
    const agent = join(dir, 'schema/agent.ts');
    await writeFile(
      agent,
      `${await readFile(agent, 'utf8')}\nexport const driftProbe = pgTable('drift_probe', { id: text('id').primaryKey() });\n`,
    );
    const out = join(dir, 'migrations');
    await cp(join(ROOT, 'db/migrations'), out, { recursive: true });
    const before = await sqlFiles(out);
    const result = await generate(join(dir, 'schema.ts'), out);
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toMatch(/error/i);
    const added = (await sqlFiles(out)).filter((f) => !before.includes(f));
    expect(added).toHaveLength(1);
    expect(await readFile(join(out, added[0]!), 'utf8')).toContain('CREATE TABLE "drift_probe"');
  }, 60_000);
});
