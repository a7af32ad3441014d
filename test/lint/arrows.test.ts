/**
 * The arrows between packages are enforced by `npm run lint` (.dependency-cruiser.cjs): it
 * passes on this tree and fails on a scratch copy of the sources with imports planted against
 * them, one by relative path and one by package name (so @kith/* resolution is exercised).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CRUISER = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const WORKSPACES: Record<string, string> = {
  core: 'packages/core',
  db: 'db',
  archive: 'services/archive',
  agent: 'services/agent',
  consensus: 'services/consensus',
  web: 'services/web',
  cli: 'cli',
};
const scratch = mkdtempSync(join(tmpdir(), 'kith-arrows-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function cruise(cwd: string) {
  const r = spawnSync(
    process.execPath,
    [CRUISER, '--config', '.dependency-cruiser.cjs', 'packages', 'services', 'cli', 'db'],
    { cwd, encoding: 'utf8', timeout: 120_000 },
  );
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('package arrows', { timeout: 180_000 }, () => {
  it('hold on this tree', () => {
    const r = cruise(ROOT);
    expect(r.output).toContain('no dependency violations found');
    expect(r.code).toBe(0);
  });

  it('an import against them fails the check, by path and by package name', () => {
    const skip = (source: string) => !/[/\\](node_modules|test|dist|data)$/.test(source);
    for (const dir of Object.values(WORKSPACES))
      cpSync(join(ROOT, dir), join(scratch, dir), { recursive: true, filter: skip });
    cpSync(join(ROOT, '.dependency-cruiser.cjs'), join(scratch, '.dependency-cruiser.cjs'));
    mkdirSync(join(scratch, 'node_modules/@kith'), { recursive: true });
    for (const [name, dir] of Object.entries(WORKSPACES))
      symlinkSync(join('..', '..', dir), join(scratch, 'node_modules/@kith', name));
    // core reaching up into the agent, and the archive into the agent (the cycle that was).
    writeFileSync(
      join(scratch, 'packages/core/src/planted.ts'),
      "export { createLogger } from '../../../services/agent/src/logger.ts';\n",
    );
    writeFileSync(
      join(scratch, 'services/archive/src/planted.ts'),
      "export type { AgentComponents } from '@kith/agent/components';\n",
    );
    const r = cruise(scratch);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(
      /arrows-core: packages\/core\/src\/planted\.ts → services\/agent\/src\/logger\.ts/,
    );
    expect(r.output).toMatch(
      /arrows-archive: services\/archive\/src\/planted\.ts → services\/agent\/src\/components\.ts/,
    );
  });
});
