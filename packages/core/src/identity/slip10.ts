/**
 * SLIP-0010 key derivation for Ed25519 (hardened only). A construction over HMAC-SHA512,
 * checked against the SLIP-0010 test vectors.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend, utf8 } from '../crypto/index.ts';
import { KithError } from '../errors.ts';

export const HARDENED = 0x80000000;

export interface Slip10Node {
  readonly privateKey: Uint8Array;
  readonly chainCode: Uint8Array;
}

export function slip10Master(seed: Uint8Array, backend: CryptoBackend = defaultBackend()): Slip10Node {
  const i = backend.hmacSha512(utf8.encode('ed25519 seed'), seed);
  return { privateKey: i.slice(0, 32), chainCode: i.slice(32) };
}

export function slip10Child(
  node: Slip10Node,
  index: number,
  backend: CryptoBackend = defaultBackend(),
): Slip10Node {
  if (!Number.isInteger(index) || index < HARDENED || index > 0xffffffff) {
    throw new KithError('INVALID_INPUT', 'SLIP-0010 Ed25519 supports hardened indexes only.');
  }
  const data = new Uint8Array(37);
  data.set(node.privateKey, 1);
  new DataView(data.buffer).setUint32(33, index, false);
  const i = backend.hmacSha512(node.chainCode, data);
  return { privateKey: i.slice(0, 32), chainCode: i.slice(32) };
}

/** Parses "m/0'/1'" (every step must be hardened) into indexes. */
export function parsePath(path: string): number[] {
  const parts = path.split('/');
  if (parts[0] !== 'm') throw new KithError('INVALID_INPUT', `Bad derivation path ${path}.`);
  return parts.slice(1).map((p) => {
    const m = /^(\d+)'$/.exec(p);
    if (!m || Number(m[1]) >= HARDENED) throw new KithError('INVALID_INPUT', `Bad derivation path ${path}.`);
    return Number(m[1]) + HARDENED;
  });
}

export function slip10Derive(
  seed: Uint8Array,
  path: string,
  backend: CryptoBackend = defaultBackend(),
): Slip10Node {
  let node = slip10Master(seed, backend);
  for (const index of parsePath(path)) node = slip10Child(node, index, backend);
  return node;
}
