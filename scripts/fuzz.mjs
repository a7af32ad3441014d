#!/usr/bin/env node
/**
 * Long-mode fuzzing (docs/SECURITY.md "Fuzzing"): runs the fuzz suites with N cases per decoder.
 *   npm run fuzz -- --long                 1,000,000 cases per decoder, every suite
 *   npm run fuzz -- --long --core          the same, the pure decoders of packages/core only
 *   npm run fuzz -- --runs 50000 [--seed 42] [vitest filters, e.g. -t "canonical"]
 *   --seconds S        stop each property after S seconds, reporting the count it reached
 *   --report FILE      keep the figures (one JSON line per property) in FILE
 *   --file PATH        run this fuzz file only (repeatable), e.g. --file decoders.fuzz
 * Same as KITH_FUZZ_RUNS=N npx vitest run --project unit --project medium fuzz. At the end it
 * prints each property's cases, seconds and failures (harness.ts `fuzzAssert` records them) as
 * JSON lines and as a table for docs/SECURITY.md, with the date, load average and commit.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

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
const seconds = take('--seconds');
const files = [];
for (let f = take('--file'); f !== undefined; f = take('--file')) files.push(f);
const report = take('--report') ?? join(mkdtempSync(join(tmpdir(), 'kith-fuzz-')), 'figures.jsonl');
for (const [name, value] of [
  ['--runs', runs],
  ['--seconds', seconds],
]) {
  if (value !== undefined && !/^[1-9][0-9]*$/.test(value)) {
    console.error(`${name} takes a positive whole number`);
    process.exit(2);
  }
}
const env = {
  ...process.env,
  KITH_FUZZ_RUNS: runs,
  KITH_FUZZ_REPORT: report,
  ...(seed ? { KITH_FUZZ_SEED: seed } : {}),
  ...(seconds ? { KITH_FUZZ_SECONDS: seconds } : {}),
};
const paths =
  files.length > 0
    ? files
    : coreOnly
      ? ['packages/core/test/fuzz']
      : ['packages/core/test/fuzz', 'services/agent/test/fuzz'];
const projects = coreOnly ? ['--project', 'unit'] : ['--project', 'unit', '--project', 'medium'];
const limit = seconds ? `, at most ${seconds} s each` : '';
console.log(`fuzz: ${runs} cases per decoder${limit}${seed ? `, seed ${seed}` : ''} (${paths.join(', ')})`);
const loadAtStart = loadavg()[0];
const commitAtStart = commitOf();
const result = spawnSync('npx', ['vitest', 'run', ...projects, ...paths, ...args], {
  stdio: 'inherit',
  env,
});
summarise();
process.exit(result.status ?? 1);

function commitOf() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    });
    return dirty.trim() ? `${head} (with changes)` : head;
  } catch {
    return 'unknown'; // not a git checkout: the table says so
  }
}

/** The figures of this run: JSON lines, then a table with the date, load average and commit. */
function summarise() {
  const lines = existsSync(report) ? readFileSync(report, 'utf8').split('\n').filter(Boolean) : [];
  const figures = lines.map((l) => JSON.parse(l));
  const commit = commitAtStart;
  const load = `${loadAtStart.toFixed(1)} at start, ${loadavg()[0].toFixed(1)} at end`;
  console.log(
    `\nfuzz figures (${report}): ${new Date().toISOString().slice(0, 10)}, load ${load}, commit ${commit}`,
  );
  for (const line of lines) console.log(line);
  console.log('\n| property | cases | time | rate | failures |\n|---|---|---|---|---|');
  for (const f of figures) {
    const cases = f.cases.toLocaleString('en');
    const stopped = f.interrupted ? ` (stopped at ${seconds} s)` : '';
    const rate = f.seconds > 0 ? `${Math.round(f.cases / f.seconds).toLocaleString('en')}/s` : '-';
    const name = f.property.split(' > ').at(-1);
    console.log(`| ${name} | ${cases}${stopped} | ${f.seconds} s | ${rate} | ${f.failures} |`);
  }
}
