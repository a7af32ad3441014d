import { KithError } from '../errors.ts';

/** TAI64 label base (2^62); like WireGuard, Unix seconds are used without leap-second correction. */
const TAI64_BASE = 1n << 62n;
const NANOS_PER_SECOND = 1_000_000_000n;
export const TAI64N_LEN = 12;

/** 12-byte TAI64N (8-byte big-endian 2^62 + seconds, 4-byte big-endian nanoseconds). */
export function encodeTai64n(unixNanos: bigint): Uint8Array {
  if (unixNanos < 0n) throw new KithError('INVALID_INPUT', 'A timestamp cannot be before 1970.');
  const out = new Uint8Array(TAI64N_LEN);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, TAI64_BASE + unixNanos / NANOS_PER_SECOND, false);
  view.setUint32(8, Number(unixNanos % NANOS_PER_SECOND), false);
  return out;
}

/** Unix time in nanoseconds, or undefined when the bytes are not a TAI64N label after 1970. */
export function decodeTai64n(bytes: Uint8Array): bigint | undefined {
  if (bytes.length !== TAI64N_LEN) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seconds = view.getBigUint64(0, false);
  const nanos = view.getUint32(8, false);
  if (seconds < TAI64_BASE || seconds >= 1n << 63n || nanos >= 1_000_000_000) return undefined;
  return (seconds - TAI64_BASE) * NANOS_PER_SECOND + BigInt(nanos);
}
