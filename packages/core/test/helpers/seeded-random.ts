import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../../src/crypto/bytes.ts';

/** A reproducible byte stream (SHA-256 of seed || counter) for fixtures; never for real keys. */
export function seededRandom(seed: string): (n: number) => Uint8Array {
  const s = utf8.encode(seed);
  let counter = 0;
  let pool = new Uint8Array(0);
  return (n) => {
    while (pool.length < n) {
      const block = new Uint8Array(s.length + 4);
      block.set(s);
      new DataView(block.buffer).setUint32(s.length, counter++);
      const next = new Uint8Array(pool.length + 32);
      next.set(pool);
      next.set(sha256(block), pool.length);
      pool = next;
    }
    const out = pool.slice(0, n);
    pool = pool.slice(n);
    return out;
  };
}
