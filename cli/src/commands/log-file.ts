/** An exported identity log: canonical CBOR { v: 1, entries: [bytes…] } (public, signed data). */
import { readFile } from 'node:fs/promises';
import { decodeCanonical, encodeCanonical } from '@kith/core/codec';
import { KithError } from '@kith/core/errors';
import { MAX_LOG_ENTRIES } from '@kith/core/identity/log';

export function encodeLogExport(entries: Uint8Array[]): Uint8Array {
  return encodeCanonical({ v: 1, kind: 'kith-identity-log', entries });
}

export async function readLogExport(path: string): Promise<Uint8Array[]> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new KithError(
      'FILE_UNREADABLE',
      `Cannot read the log file ${path} (${(e as NodeJS.ErrnoException).code}).`,
    );
  }
  const doc = decodeCanonical(bytes, 4 * 1024 * 1024) as { v?: unknown; kind?: unknown; entries?: unknown };
  if (doc.kind !== 'kith-identity-log')
    throw new KithError('CODEC_SCHEMA', `${path} is not an exported identity log.`);
  if (doc.v !== 1)
    throw new KithError('CODEC_UNKNOWN_VERSION', `${path} has log export version ${String(doc.v)}.`);
  if (
    !Array.isArray(doc.entries) ||
    doc.entries.length > MAX_LOG_ENTRIES ||
    !doc.entries.every((e) => e instanceof Uint8Array)
  ) {
    throw new KithError('CODEC_SCHEMA', `${path} does not hold a list of log entries.`);
  }
  return doc.entries as Uint8Array[];
}
