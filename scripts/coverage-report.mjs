#!/usr/bin/env node
/**
 * Prints the coverage summary that CI shows (docs/ARCHITECTURE.md "Coverage"): line coverage of
 * packages/core and of everything, against the aims (90% and 80%), and the least covered files.
 * Reads coverage/coverage-summary.json (vitest --coverage). Reports only; never fails the run.
 *
 *   node scripts/coverage-report.mjs [summary.json] [--bottom 10]
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const args = process.argv.slice(2);
const bottomAt = args.indexOf('--bottom');
const bottom = bottomAt >= 0 ? Number(args[bottomAt + 1]) : 10;
const file =
  args.find((a, i) => !a.startsWith('--') && i !== bottomAt + 1) ?? 'coverage/coverage-summary.json';
if (!existsSync(file)) {
  console.log(`== coverage: no ${file} (run vitest with --coverage)`);
  process.exit(0);
}
const summary = JSON.parse(readFileSync(file, 'utf8'));
const files = Object.entries(summary)
  .filter(([name]) => name !== 'total')
  .map(([name, s]) => ({ name: relative(process.cwd(), name), lines: s.lines }));

function total(list) {
  const covered = list.reduce((n, f) => n + f.lines.covered, 0);
  const all = list.reduce((n, f) => n + f.lines.total, 0);
  return { covered, all, pct: all === 0 ? 100 : (100 * covered) / all };
}
const show = (label, t, aim) =>
  console.log(
    `${label.padEnd(16)} ${t.pct.toFixed(1).padStart(5)}% of lines (${t.covered}/${t.all}), aim ${aim}%` +
      (t.pct >= aim ? '' : '  <- below the aim'),
  );

console.log('== coverage (lines)');
show('packages/core', total(files.filter((f) => f.name.startsWith('packages/core/'))), 90);
show('overall', total(files), 80);
console.log(`least covered files (of ${files.length}):`);
for (const f of files
  .filter((f) => f.lines.total > 0)
  .sort((a, b) => a.lines.pct - b.lines.pct || b.lines.total - a.lines.total)
  .slice(0, bottom)) {
  console.log(
    `  ${f.lines.pct.toFixed(1).padStart(5)}%  ${String(f.lines.total).padStart(5)} lines  ${f.name}`,
  );
}
