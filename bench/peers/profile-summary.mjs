/**
 * Text summary of a V8 CPU profile (bench/peers, docs/ARCHITECTURE.md "Two `kith up` processes
 * through the API"): the share of busy time per part of an agent, each sample counted under the
 * innermost frame that names a part. Profiles come from
 *   KITH_BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=DIR' npm run bench:peers -- --only kith
 * Run: node bench/peers/profile-summary.mjs FILE.cpuprofile [FROM_S TO_S]
 * (seconds into the profile: pick the burst, e.g. from a first run without a window).
 */
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const from = Number(process.argv[3] ?? 0) * 1e6,
  to = Number(process.argv[4] ?? 1e9) * 1e6;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const rules = [
  ['PGlite (JS + WebAssembly)', (f) => /electric-sql|^wasm:/.test(f.url)],
  ['drizzle', (f) => /drizzle-orm/.test(f.url)],
  [
    'crypto (node:crypto, noble)',
    (f) =>
      (/^(signOneShot|verifyOneShot|hkdfSync|createCipherBase|createDecipheriv|createCipheriv|randomFillSync|digest|getKeyObjectHandleFromJwk|createSecretKey|createPublicKey|createPrivateKey|KeyObject|update|final|setAuthTag|getAuthTag|setAAD)$/.test(
        f.functionName,
      ) &&
        /^node:/.test(f.url)) ||
      /@noble/.test(f.url),
  ],
  [
    'CBOR + schema checks',
    (f) =>
      /cborg|typebox/.test(f.url) ||
      /^(decodeCanonical|encodeCanonical|checkValue|Visit\d*|FromObject\d*)$/.test(f.functionName),
  ],
  [
    'HTTP API (fastify, http parser, JSON)',
    (f) =>
      /fastify|find-my-way|avvio|secure-json-parse|fast-json-stringify|light-my-request|ajv/.test(f.url) ||
      /_http_|node:http/.test(f.url),
  ],
  ['link (ws, frames)', (f) => /\/ws\//.test(f.url)],
  ['logging (pino)', (f) => /pino/.test(f.url)],
];
const m = new Map();
let tot = 0,
  clock = 0;
for (let i = 0; i < p.samples.length; i++) {
  clock += p.timeDeltas[i];
  if (clock < from || clock > to) continue;
  const d = p.timeDeltas[i + 1] ?? 0;
  const leaf = byId.get(p.samples[i]).callFrame;
  if (leaf.functionName === '(idle)') {
    m.set('(idle)', (m.get('(idle)') ?? 0) + d);
    continue;
  }
  tot += d;
  let k = leaf.functionName === '(garbage collector)' ? 'garbage collector' : undefined;
  for (let c = p.samples[i]; !k && c !== undefined; c = parent.get(c)) {
    const f = byId.get(c).callFrame;
    for (const [name, t] of rules)
      if (t(f)) {
        k = name;
        break;
      }
  }
  k ??= 'Kith and the rest';
  m.set(k, (m.get(k) ?? 0) + d);
}
console.log(`busy ${(tot / 1e3).toFixed(0)} ms`);
for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]))
  console.log(
    `| ${k} | ${(v / 1e3).toFixed(0)} | ${k === '(idle)' ? '' : ((100 * v) / tot).toFixed(0) + '%'} |`,
  );
