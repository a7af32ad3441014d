#!/usr/bin/env node
/**
 * Builds the runnable JavaScript in dist/ from the TypeScript sources (docs/ARCHITECTURE.md,
 * "Build"). esbuild bundles the workspace packages (@kith/*, imported as .ts) into ES modules,
 * split per dynamic import so a command loads only what it needs; every npm dependency stays
 * external and is loaded from node_modules at run time; the web UI's app is built with Vite into
 * dist/web. `npm ci` runs this through `prepare`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { distState } from '../bin/dist-state.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist`;

// The test setup asks for a build only when a source changed since the last one.
if (process.argv.includes('--if-stale') && distState(root) === 'fresh') process.exit(0);

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // A production install (`npm ci --omit=dev`) has no build tools: dist/ comes from a build stage.
  console.error('kith build: esbuild is not installed (production install?); dist/ was not rebuilt.');
  process.exit(0);
}

/**
 * Pure-JS packages of many small modules, bundled with our own: loading TypeBox from
 * node_modules resolves and reads some 1,400 files, which cost `kith status` most of its start
 * (bench/README.md). They keep no state across copies that matters here (TypeBox marks schema
 * kinds with plain or registered-symbol keys; no formats or types are registered). fastify's
 * TypeBox type provider is bundled too: left external, it loaded its own TypeBox from
 * node_modules (some 680 modules) on every `kith up`; bundled, it uses the copy in dist/.
 */
const BUNDLED_NPM =
  /^(typebox|@sinclair\/typebox|@noble\/(curves|hashes|ciphers)|@fastify\/type-provider-typebox)(\/|$)/;

/** Other npm packages stay imports; our own workspace packages are bundled. */
const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@kith/') || BUNDLED_NPM.test(args.path)
        ? undefined
        : { path: args.path, external: true },
    );
  },
};

const started = Date.now();
rmSync(dist, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root,
  // The PGlite worker thread's entry (db/pglite-worker.ts) sits beside the chunks, where
  // db/pglite-worker-client.ts looks for it; it shares their chunks.
  entryPoints: { kith: 'cli/src/main.ts', 'pglite-worker': 'db/pglite-worker.ts' },
  outdir: dist,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  chunkNames: '[name]-[hash]',
  plugins: [externalNpmPackages],
  logLevel: 'warning',
});
// Migrations are read at run time relative to the module that runs them (db/migrate.ts).
// Chunks sit flat in dist/, so dist/migrations is where every one of them looks (only the SQL
// and the journal are read; drizzle-kit's snapshots stay in the sources).
cpSync(`${root}db/migrations`, `${dist}/migrations`, {
  recursive: true,
  filter: (source) => !source.endsWith('_snapshot.json'),
});
// A PGlite data directory initialised in memory with every migration applied, so a new node's
// first start loads it instead of running initdb on disk (db/pglite-template.ts). Bundled to a
// scratch file in dist/ (so it finds node_modules and dist/migrations as the chunks do), run,
// and removed.
const templateTool = `${dist}/pglite-template-tool.js`;
await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['db/pglite-template.ts'],
  outfile: templateTool,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [externalNpmPackages],
  logLevel: 'warning',
});
const { writePgliteTemplate } = await import(pathToFileURL(templateTool).href);
await writePgliteTemplate(`${dist}/pglite-template.tar.gz`);
rmSync(templateTool);
// The web UI's single-page app (services/web, Vite): built into services/web/dist and copied to
// dist/web, where the bundled web part serves it from (services/web/src/static-files.ts).
execFileSync(process.execPath, [`${root}node_modules/vite/bin/vite.js`, 'build', '--logLevel', 'warn'], {
  cwd: `${root}services/web`,
  stdio: 'inherit',
});
cpSync(`${root}services/web/dist`, `${dist}/web`, { recursive: true });
writeFileSync(`${dist}/build-info.json`, `${JSON.stringify({ builtAt: new Date().toISOString() })}\n`);
if (!process.argv.includes('--quiet'))
  console.error(`kith build: dist/ written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
