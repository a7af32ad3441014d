/**
 * Vitest global setup: the tests that run `kith` as a process (test/helpers/kith-cli.ts) run the
 * built dist/, so it is rebuilt first when a source changed since the last build (about 1-2 s).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function buildDist(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale', '--quiet'], {
    cwd: root,
    stdio: 'inherit',
  });
}
