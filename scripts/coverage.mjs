#!/usr/bin/env node
/**
 * Line coverage (docs/ARCHITECTURE.md "Coverage"): runs vitest with v8 coverage on the given
 * tiers (default: unit and medium), then prints the summary of scripts/coverage-report.mjs
 * (packages/core and overall against their aims, the least covered files).
 *
 *   npm run coverage                      unit + medium tiers
 *   npm run coverage -- --project unit    one tier (about 2.5 minutes on the shared machine)
 *
 * Exits with vitest's status: a failing test fails it; figures below the aims do not.
 */
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const projects = args.includes('--project') ? [] : ['--project', 'unit', '--project', 'medium'];
// Coverage counts lines, not scale: the silence-at-scale test sends 2,000 probes, not 10,000
// (instrumented, 10,000 took past its 10-minute timeout on the shared machine).
const env = { ...process.env, KITH_PROBES: process.env.KITH_PROBES ?? '2000' };
const run = (cmd, argv) => spawnSync(cmd, argv, { stdio: 'inherit', env }).status ?? 1;

const status = run('npx', ['vitest', 'run', '--coverage', ...projects, ...args]);
run('node', ['scripts/coverage-report.mjs']);
process.exit(status);
