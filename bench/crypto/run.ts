/**
 * Crypto throughput per backend, next to the raw node:crypto ceiling measured in the same run
 * (docs/DESIGN.md §3: each benchmark measures its own ceiling). Run:
 *   node --import tsx bench/crypto/run.ts [--ms 600] [--json]
 * About 15 s with the default 600 ms per row and cell.
 *
 * The ceiling uses prebuilt KeyObjects and a bare chacha20-poly1305 cipheriv: what OpenSSL can
 * do when nothing else happens. Our native backend builds its KeyObjects per call (it caches
 * nothing secret) and XChaCha adds an HChaCha20 subkey in JS, so native/raw < 1 is that cost.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import type { CryptoBackend } from '../../packages/core/src/crypto/backend.ts';
import { concatBytes, fromHex } from '../../packages/core/src/crypto/bytes.ts';
import { nativeBackend } from '../../packages/core/src/crypto/native.ts';
import { nobleBackend } from '../../packages/core/src/crypto/noble.ts';

const args = process.argv.slice(2);
const msIndex = args.indexOf('--ms');
const BUDGET_MS = msIndex >= 0 ? Number(args[msIndex + 1]) : 600;
const JSON_OUT = args.includes('--json');
const WARMUP_MS = Math.min(150, BUDGET_MS / 4);

/** Calls per second of `op`, run in batches until the time budget is spent. */
function opsPerSecond(op: () => unknown): number {
  const until = (ms: number) => {
    const start = performance.now();
    let calls = 0;
    let batch = 1;
    while (performance.now() - start < ms) {
      for (let i = 0; i < batch; i++) op();
      calls += batch;
      if (batch < 64) batch *= 2;
    }
    return calls / ((performance.now() - start) / 1000);
  };
  until(WARMUP_MS);
  return until(BUDGET_MS);
}

// Fixed inputs: a deterministic seed, message, key and nonce (no randomness needed to measure).
const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const peerPrivate = fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
const message = new Uint8Array(100).fill(0x6b);
const kib = new Uint8Array(1024).fill(0x2a);
const aeadKey = new Uint8Array(32).fill(7);
const xnonce = new Uint8Array(24).fill(9);
const nonce12 = new Uint8Array(12).fill(9);
const aad = new Uint8Array(32).fill(1);

const edPublic = nativeBackend.ed25519PublicKey(seed);
const signature = nativeBackend.ed25519Sign(message, seed);
const peerPublic = nativeBackend.x25519PublicKey(peerPrivate);
const sealedKib = nativeBackend.xchacha20poly1305Seal(aeadKey, xnonce, kib, aad);

// The ceiling's prebuilt key objects.
const der = (prefix: string, raw: Uint8Array) => Buffer.from(concatBytes(fromHex(prefix), raw));
const edPrivateKo: KeyObject = createPrivateKey({
  key: der('302e020100300506032b657004220420', seed),
  format: 'der',
  type: 'pkcs8',
});
const edPublicKo: KeyObject = createPublicKey({
  key: der('302a300506032b6570032100', edPublic),
  format: 'der',
  type: 'spki',
});
const xPrivateKo: KeyObject = createPrivateKey({
  key: der('302e020100300506032b656e04220420', seed),
  format: 'der',
  type: 'pkcs8',
});
const xPublicKo: KeyObject = createPublicKey({
  key: der('302a300506032b656e032100', peerPublic),
  format: 'der',
  type: 'spki',
});
const rawSealedKib = (() => {
  const c = createCipheriv('chacha20-poly1305', aeadKey, nonce12, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: kib.length });
  return Buffer.concat([c.update(kib), c.final(), c.getAuthTag()]);
})();

interface Row {
  op: string;
  run: (b: CryptoBackend) => unknown;
  raw: () => unknown;
}

const rows: Row[] = [
  {
    op: 'Ed25519 sign',
    run: (b) => b.ed25519Sign(message, seed),
    raw: () => sign(null, message, edPrivateKo),
  },
  {
    op: 'Ed25519 verify',
    run: (b) => {
      if (!b.ed25519Verify(signature, message, edPublic)) throw new Error('verify failed');
    },
    raw: () => {
      if (!verify(null, message, edPublicKo, signature)) throw new Error('verify failed');
    },
  },
  {
    op: 'XChaCha20-Poly1305 seal 1 KiB',
    run: (b) => b.xchacha20poly1305Seal(aeadKey, xnonce, kib, aad),
    raw: () => {
      const c = createCipheriv('chacha20-poly1305', aeadKey, nonce12, { authTagLength: 16 });
      c.setAAD(aad, { plaintextLength: kib.length });
      return [c.update(kib), c.final(), c.getAuthTag()];
    },
  },
  {
    op: 'XChaCha20-Poly1305 open 1 KiB',
    run: (b) => b.xchacha20poly1305Open(aeadKey, xnonce, sealedKib, aad),
    raw: () => {
      const d = createDecipheriv('chacha20-poly1305', aeadKey, nonce12, { authTagLength: 16 });
      d.setAuthTag(rawSealedKib.subarray(1024));
      d.setAAD(aad, { plaintextLength: 1024 });
      return [d.update(rawSealedKib.subarray(0, 1024)), d.final()];
    },
  },
  {
    op: 'X25519',
    run: (b) => b.x25519(seed, peerPublic),
    raw: () => diffieHellman({ privateKey: xPrivateKo, publicKey: xPublicKo }),
  },
];

const backends = [nobleBackend, nativeBackend];
const results = rows.map((row) => {
  const perBackend = Object.fromEntries(backends.map((b) => [b.name, opsPerSecond(() => row.run(b))]));
  const raw = opsPerSecond(row.raw);
  return { op: row.op, noble: perBackend.noble!, native: perBackend.native!, raw };
});

if (JSON_OUT) {
  console.log(JSON.stringify({ budgetMs: BUDGET_MS, node: process.versions.node, results }, null, 2));
} else {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}`;
  const header = ['operation', 'noble/s', 'native/s', 'raw node:crypto/s', 'native/raw', 'noble/raw'];
  const table = results.map((r) => [
    r.op,
    fmt(r.noble),
    fmt(r.native),
    fmt(r.raw),
    ratio(r.native, r.raw),
    ratio(r.noble, r.raw),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(`Kith crypto bench — Node ${process.versions.node}, ${BUDGET_MS} ms per cell, one core\n`);
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of table) console.log(line(row));
  console.log(
    '\nraw = node:crypto with prebuilt KeyObjects (XChaCha rows: plain ChaCha20-Poly1305, no HChaCha20).',
  );
}
