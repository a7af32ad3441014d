/** An exported identity log on disk (the format: @kith/core/identity/log-export). */
import { readFile } from 'node:fs/promises';
import { KithError } from '@kith/core/errors';
import { decodeLogExport } from '@kith/core/identity/log-export';

export { encodeLogExport } from '@kith/core/identity/log-export';

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
  return decodeLogExport(bytes, path);
}
