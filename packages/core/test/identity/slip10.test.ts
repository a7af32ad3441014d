import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { slip10Derive } from '../../src/identity/slip10.ts';
import vectors from '../vectors/slip10-ed25519.json' with { type: 'json' };
import { backends } from '../helpers/backends.ts';

describe.each(backends())('SLIP-0010 Ed25519 on $name', (backend) => {
  for (const vector of vectors.vectors) {
    it.each(vector.chains.map((c) => [c.path, c] as const))(`${vector.name} %s`, (path, chain) => {
      const node = slip10Derive(fromHex(vector.seed), path, backend);
      expect(toHex(node.chainCode)).toBe(chain.chainCode);
      expect(toHex(node.privateKey)).toBe(chain.privateKey);
      expect(`00${toHex(backend.ed25519PublicKey(node.privateKey))}`).toBe(chain.publicKey);
    });
  }
  it('refuses non-hardened steps', () => {
    expect(() => slip10Derive(new Uint8Array(16), "m/0'/1", backend)).toThrow(/hardened|path/);
  });
});
