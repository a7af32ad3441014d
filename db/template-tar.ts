/**
 * Reads the PGlite template (db/pglite-template.ts): a POSIX tar of a data directory, as
 * PGlite's `dumpDataDir` writes it (ustar headers, names relative to the directory, leading
 * "/"), into entries a caller writes to disk itself. Only regular files and directories are
 * expected; anything else, a name that climbs out ("..") or a damaged header makes it refuse.
 */
export interface TarEntry {
  /** Relative path, without a leading "/". */
  readonly name: string;
  readonly type: 'file' | 'dir';
  /** Permission bits as stored (0600 files, 0750 directories in a PGlite dump). */
  readonly mode: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  /** File contents (a view into the archive); empty for a directory. */
  readonly data: Uint8Array;
}

const BLOCK = 512;

export function readTar(tar: Uint8Array): TarEntry[] {
  const out: TarEntry[] = [];
  const text = (block: Uint8Array, from: number, to: number) => {
    const field = block.subarray(from, to);
    const end = field.indexOf(0);
    return new TextDecoder('latin1').decode(end < 0 ? field : field.subarray(0, end));
  };
  const octal = (block: Uint8Array, from: number, to: number) => {
    const s = text(block, from, to).trim();
    if (!/^[0-7]*$/.test(s)) throw new Error('tar: a numeric field is not octal');
    return s === '' ? 0 : Number.parseInt(s, 8);
  };
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break; // end of archive
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
    if (sum !== octal(header, 148, 156)) throw new Error('tar: a header checksum does not match');
    const prefix = text(header, 345, 500);
    const name = (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100)).replace(
      /^\/+|\/+$/g,
      '',
    );
    const size = octal(header, 124, 136);
    const flag = String.fromCharCode(header[156] || 48);
    at += BLOCK;
    if (at + size > tar.length) throw new Error('tar: an entry runs past the end');
    if (name === '' || name.split('/').some((part) => part === '..' || part === '.' || part === ''))
      throw new Error(`tar: refused name ${JSON.stringify(name)}`);
    const common = { name, mode: octal(header, 100, 108) & 0o7777, mtime: octal(header, 136, 148) };
    if (flag === '0') out.push({ ...common, type: 'file', data: tar.subarray(at, at + size) });
    else if (flag === '5') out.push({ ...common, type: 'dir', data: new Uint8Array(0) });
    else throw new Error(`tar: entry type ${flag} is not expected in a data directory`);
    at += Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}
