#!/usr/bin/env node
// Entry point for `npx kith` and `npm start`: runs the JavaScript built into dist/ by `npm ci`
// (scripts/build.mjs). In a checkout whose sources changed since that build, it says so and
// runs the TypeScript through tsx instead (slow, but never stale); `npm run build` makes it fast.
import { fileURLToPath } from 'node:url';
import { distState } from './dist-state.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const state = distState(root);
let main;
if (state === 'fresh' || state === 'no-sources') {
  ({ main } = await import('../dist/kith.js'));
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('kith: dist/ is missing. Run `npm run build` (or `npm ci`) first.\n');
    process.exit(1);
  }
  process.stderr.write(
    `kith: dist/ is ${state === 'missing' ? 'missing' : 'older than the sources'}; running the TypeScript sources (slow). Run \`npm run build\` to fix.\n`,
  );
  register();
  ({ main } = await import('../cli/src/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
