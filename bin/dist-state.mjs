/**
 * Whether dist/ (built by scripts/build.mjs) matches the TypeScript sources next to it. Used by
 * bin/kith.mjs on every call and by the test setup, so it only stats files (a few ms).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Folders whose files go into dist/ (tests, node_modules and dist itself are skipped). */
const SOURCE_ROOTS = ['packages', 'services', 'cli', 'db'];
const SKIPPED = new Set(['node_modules', 'test', 'dist', 'data']);

/**
 * 'fresh' (dist/ is newer than every source), 'stale', 'missing' (no dist/), or 'no-sources'
 * (an installed image holding only dist/: nothing to compare with).
 */
export function distState(root) {
  let built;
  try {
    built = statSync(join(root, 'dist', 'build-info.json')).mtimeMs;
  } catch {
    built = undefined;
  }
  let newest = 0;
  let sawSources = false;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name)) walk(join(dir, entry.name));
      } else if (/\.(ts|tsx|sql|json|css|html)$/.test(entry.name)) {
        sawSources = true;
        newest = Math.max(newest, statSync(join(dir, entry.name)).mtimeMs);
      }
    }
  };
  for (const name of SOURCE_ROOTS) {
    try {
      walk(join(root, name));
    } catch {
      // absent in an image that ships dist/ only
    }
  }
  if (!sawSources) return built === undefined ? 'missing' : 'no-sources';
  if (built === undefined) return 'missing';
  return newest > built ? 'stale' : 'fresh';
}
