/**
 * One concept per file, files of a few hundred lines (docs/ARCHITECTURE.md; issue "One clean
 * shape"): no TypeScript source under packages/, services/, cli/ or db/ is over MAX_LINES.
 * Tests, built output and installed packages are not counted. A file not yet split is named in
 * ALLOWED with its line count at the time; it may shrink, never grow, and leaves the list once
 * it is within the limit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAX_LINES = 600;
const root = fileURLToPath(new URL('../../', import.meta.url));
const ROOTS = ['packages', 'services', 'cli', 'db'];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'test', 'coverage']);

/** Files left to split, with their line count when listed. */
const ALLOWED: Record<string, number> = {};

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) sources(path, out);
    } else if (
      entry.name.endsWith('.ts') &&
      !entry.name.endsWith('.test.ts') &&
      !entry.name.endsWith('.d.ts')
    ) {
      out.push(path);
    }
  }
  return out;
}

function lineCount(path: string): number {
  const text = readFileSync(path, 'utf8');
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

const counts = new Map(
  ROOTS.flatMap((r) => sources(join(root, r))).map((p) => [
    relative(root, p).split('\\').join('/'),
    lineCount(p),
  ]),
);

describe('file length', () => {
  it(`no source file is over ${MAX_LINES} lines, beyond the allow-list`, () => {
    const over = [...counts]
      .filter(([path, n]) => n > (ALLOWED[path] ?? MAX_LINES))
      .map(([path, n]) => `${path}: ${n} lines`);
    expect(over).toEqual([]);
  });

  it('every allow-listed file still exists and is still over the limit (else drop it from the list)', () => {
    const stale = Object.keys(ALLOWED).filter((path) => (counts.get(path) ?? 0) <= MAX_LINES);
    expect(stale).toEqual([]);
  });

  it('counts the files it should (a wrong root would pass vacuously)', () => {
    expect(counts.size).toBeGreaterThan(100);
    expect(counts.has('services/agent/src/messaging/messenger.ts')).toBe(true);
  });
});
