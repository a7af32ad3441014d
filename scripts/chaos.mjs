#!/usr/bin/env node
/**
 * npm run chaos -- [--minutes N] [--seed N] [--disk-full]: the chaos suite (test/chaos) for as
 * long as asked, with a given seed to replay a failure; --disk-full also fills the relay's disk
 * now and then. Needs root (network namespaces, mount) and nft.
 */
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const value = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const env = { ...process.env, KITH_CHAOS: '1' };
const minutes = value('--minutes');
const seed = value('--seed');
if (minutes !== undefined) {
  if (!(Number(minutes) > 0)) {
    console.error('--minutes takes a positive number, e.g. --minutes 30');
    process.exit(2);
  }
  env.KITH_CHAOS_MINUTES = minutes;
}
if (seed !== undefined) {
  if (!/^\d+$/.test(seed)) {
    console.error('--seed takes the number a chaos run printed, e.g. --seed 123456');
    process.exit(2);
  }
  env.KITH_CHAOS_SEED = seed;
}
if (args.includes('--disk-full')) env.KITH_CHAOS_DISK_FULL = '1';
const r = spawnSync('npx', ['vitest', 'run', '--project', 'chaos'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
