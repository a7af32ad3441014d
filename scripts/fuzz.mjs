#!/usr/bin/env node
/**
 * Long-mode fuzzing (docs/SECURITY.md "Fuzzing"): runs the fuzz suites with N cases per decoder.
 *   npm run fuzz -- --long                 1,000,000 cases per decoder, every suite
 *   npm run fuzz -- --long --core          the same, the pure decoders of packages/core only
 *   npm run fuzz -- --runs 50000 [--seed 42] [vitest filters, e.g. -t "canonical"]
 * Same as KITH_FUZZ_RUNS=N npx vitest run --project unit --project medium fuzz
 */
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const take = (flag) => {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
};
const flag = (name) => {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
};
// --long names the default (1,000,000 per decoder, issue #17); --runs N asks for another count.
flag('--long');
const coreOnly = flag('--core');
const runs = take('--runs') ?? '1000000';
const seed = take('--seed');
if (!/^[1-9][0-9]*$/.test(runs)) {
  console.error('--runs takes a positive whole number');
  process.exit(2);
}
const env = { ...process.env, KITH_FUZZ_RUNS: runs, ...(seed ? { KITH_FUZZ_SEED: seed } : {}) };
const paths = coreOnly
  ? ['packages/core/test/fuzz']
  : ['packages/core/test/fuzz', 'services/agent/test/fuzz'];
const projects = coreOnly ? ['--project', 'unit'] : ['--project', 'unit', '--project', 'medium'];
console.log(`fuzz: ${runs} cases per decoder${seed ? `, seed ${seed}` : ''} (${paths.join(', ')})`);
const result = spawnSync('npx', ['vitest', 'run', ...projects, ...paths, ...args], {
  stdio: 'inherit',
  env,
});
process.exit(result.status ?? 1);
