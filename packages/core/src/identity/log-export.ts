/**
 * An exported identity log: canonical CBOR { v: 1, kind, entries: [bytes…] } (public, signed
 * data). Written by `kith identity --export-log` and by the web UI's download; read back by
 * `kith recover --log`. Pure, so the browser builds the same bytes as the CLI.
 */
import { decodeCanonical, encodeCanonical } from '../codec.ts';
import { KithError } from '../errors.ts';
import { MAX_LOG_ENTRIES } from './log-limits.ts';

export const LOG_EXPORT_KIND = 'kith-identity-log';

export function encodeLogExport(entries: Uint8Array[]): Uint8Array {
  return encodeCanonical({ v: 1, kind: LOG_EXPORT_KIND, entries });
}

/** The entries of an exported log; `name` says which file in the errors. */
export function decodeLogExport(bytes: Uint8Array, name: string): Uint8Array[] {
  const doc = decodeCanonical(bytes, 4 * 1024 * 1024) as { v?: unknown; kind?: unknown; entries?: unknown };
  if (doc.kind !== LOG_EXPORT_KIND)
    throw new KithError('CODEC_SCHEMA', `${name} is not an exported identity log.`);
  if (doc.v !== 1)
    throw new KithError('CODEC_UNKNOWN_VERSION', `${name} has log export version ${String(doc.v)}.`);
  if (
    !Array.isArray(doc.entries) ||
    doc.entries.length > MAX_LOG_ENTRIES ||
    !doc.entries.every((e) => e instanceof Uint8Array)
  ) {
    throw new KithError('CODEC_SCHEMA', `${name} does not hold a list of log entries.`);
  }
  return doc.entries as Uint8Array[];
}
