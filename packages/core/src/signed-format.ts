/**
 * A signed, versioned record: `{ v, body, sig }` where `body` is the canonical bytes of its own
 * versioned format and `sig` is Ed25519 over them under one domain label (docs/DESIGN.md §4). Device
 * certificates, address records, relay lists, delivery and storage receipts are all this shape;
 * each names in its body the key that must have signed it.
 */
import { type Static, type TObject, Type } from '@sinclair/typebox';
import type { CryptoBackend } from './crypto/backend.ts';
import { defaultBackend } from './crypto/index.ts';
import { defineFormat } from './format.ts';
import type { SignatureLabel } from './labels.ts';
import { signWithLabel, verifyWithLabel } from './signing.ts';

/** Room for the outer map's keys, length headers and the 64-byte signature. */
const OUTER_OVERHEAD = 128;

export interface Opened<T> {
  readonly value: T;
  /** Whether `sig` verifies under the key the caller said should have signed. */
  readonly verified: boolean;
}

export function defineSignedFormat<S extends TObject>(
  name: string,
  version: number,
  maxBodyBytes: number,
  bodySchema: S,
  label: SignatureLabel,
) {
  const body = defineFormat(`${name}-body`, version, maxBodyBytes, bodySchema);
  const outer = defineFormat(
    name,
    version,
    maxBodyBytes + OUTER_OVERHEAD,
    Type.Object(
      {
        v: Type.Literal(version),
        body: Type.Uint8Array({ maxByteLength: maxBodyBytes }),
        sig: Type.Uint8Array({ minByteLength: 64, maxByteLength: 64 }),
      },
      { additionalProperties: false },
    ),
  );
  return {
    name,
    version,
    outer,
    body,
    sign(value: Static<S>, seed: Uint8Array, backend: CryptoBackend = defaultBackend()): Uint8Array {
      const bytes = body.encode(value);
      return outer.encode({ v: version, body: bytes, sig: signWithLabel(label, bytes, seed, backend) });
    },
    /** Decodes (throwing the codec's errors) and checks the signature under `signerOf(value)`. */
    open(
      bytes: Uint8Array,
      signerOf: (value: Static<S>) => Uint8Array,
      backend: CryptoBackend = defaultBackend(),
    ): Opened<Static<S>> {
      const o = outer.decode(bytes);
      const value = body.decode(o.body);
      return { value, verified: verifyWithLabel(label, o.sig, o.body, signerOf(value), backend) };
    },
  };
}
