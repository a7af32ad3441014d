/**
 * Text summary of a CPU profile of one `kith up` start (bench/README.md, "Startup"): where the
 * main thread's busy time went, per npm package (the innermost frame under node_modules), Kith's
 * own code (dist/), module loading and compiling, Node internals and the garbage collector;
 * idle time is what the thread spent waiting (the thread pool, the disk, PGlite's timers).
 *   node --cpu-prof --cpu-prof-dir=DIR bin/kith.mjs up --data NEW_DIR --host 127.0.0.9 …
 *   (stop it once ready, with Ctrl-C or SIGINT: the profile is written at exit)
 *   node bench/startup/profile-summary.mjs DIR/CPU.*.cpuprofile [UNTIL_S]
 * UNTIL_S: count only the first seconds (e.g. up to when the agent said it runs).
 */
import { readFileSync } from 'node:fs';

const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const until = Number(process.argv[3] ?? 1e9) * 1e6;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** The part a frame names, or undefined to look further out. */
function partOf(f) {
  if (f.functionName === '(garbage collector)') return 'garbage collector';
  if (f.functionName === '(idle)') return 'idle';
  if (f.functionName === '(program)') return 'Node and V8 (program)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url)?.[1];
  if (pkg) return `npm: ${pkg}`;
  if (/^wasm:/.test(f.url)) return 'npm: @electric-sql/pglite';
  if (/\/dist\//.test(f.url)) return 'Kith (dist/)';
  if (
    /compileSourceTextModule|compileFunction|wrapSafe|^link$|moduleStrategy|ModuleJob|loadESM|resolve/.test(
      f.functionName,
    )
  )
    return 'module loading (resolve, read, compile)';
  return undefined;
}

const totals = new Map();
let t = p.startTime;
let busy = 0;
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i] ?? 0;
  if (t - p.startTime > until) break;
  const dt = p.timeDeltas[i + 1] ?? 0;
  let id = p.samples[i];
  let part;
  while (id !== undefined && part === undefined) {
    part = partOf(byId.get(id).callFrame);
    id = parent.get(id);
  }
  part ??= 'Node internals';
  totals.set(part, (totals.get(part) ?? 0) + dt);
  if (part !== 'idle') busy += dt;
}
const ms = (us) => (us / 1000).toFixed(0);
console.log(`busy ${ms(busy)} ms on the main thread, idle ${ms(totals.get('idle') ?? 0)} ms\n`);
console.log('| part | ms | share of busy |\n|---|---:|---:|');
for (const [part, us] of [...totals].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1])) {
  if (us / busy < 0.005) continue;
  console.log(`| ${part} | ${ms(us)} | ${((100 * us) / busy).toFixed(1)}% |`);
}
