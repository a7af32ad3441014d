/**
 * Short authentication string (docs/DESIGN.md §2): both people read six digits derived from the Noise
 * handshake hash, which only two parties who ran the same handshake share. A man in the middle
 * would have to make two different handshakes land on the same 20 bits.
 */
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend, utf8 } from '../crypto/index.ts';
import { KDF } from '../labels.ts';

export function shortAuthenticationString(
  handshakeHash: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): string {
  const bytes = backend.hkdfSha256(handshakeHash, new Uint8Array(0), utf8.encode(KDF.SAS), 4);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0) % 1_000_000;
  const digits = String(n).padStart(6, '0');
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}
