#!/usr/bin/env node
/**
 * Long-mode fuzzing (docs/SECURITY.md "Fuzzing"): runs the fuzz suites with N cases per decoder.
 *   npm run fuzz -- --runs 1000000 [--seed 42] [vitest filters, e.g. -t "canonical"]
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
const runs = take('--runs') ?? '1000000';
const seed = take('--seed');
if (!/^[1-9][0-9]*$/.test(runs)) {
  console.error('--runs takes a positive whole number');
  process.exit(2);
}
const env = { ...process.env, KITH_FUZZ_RUNS: runs, ...(seed ? { KITH_FUZZ_SEED: seed } : {}) };
const paths = ['packages/core/test/fuzz', 'services/agent/test/fuzz'];
const result = spawnSync(
  'npx',
  ['vitest', 'run', '--project', 'unit', '--project', 'medium', ...paths, ...args],
  {
    stdio: 'inherit',
    env,
  },
);
process.exit(result.status ?? 1);
