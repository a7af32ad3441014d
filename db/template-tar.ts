/**
 * The PGlite template's archive (db/pglite-template.ts): a POSIX tar of a data directory (ustar
 * headers, names relative to the directory). `writeTar` makes it at build time; `readTar` reads
 * it into entries a caller writes to disk itself. Only regular files and directories are
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

/** Writes entries as a ustar archive that `readTar` (and tar) reads; names must fit in 100 bytes. */
export function writeTar(entries: readonly TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
  const field = (header: Uint8Array, at: number, width: number, value: string) => {
    const bytes = latin1(value);
    if (bytes.length > width) throw new Error(`tar: ${JSON.stringify(value)} does not fit`);
    header.set(bytes, at);
  };
  const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, '0')}\0`;
  for (const e of entries) {
    const header = new Uint8Array(BLOCK);
    const size = e.type === 'file' ? e.data.length : 0;
    field(header, 0, 100, e.type === 'dir' ? `${e.name}/` : e.name);
    field(header, 100, 8, octal(e.mode & 0o7777, 8));
    field(header, 108, 8, octal(0, 8));
    field(header, 116, 8, octal(0, 8));
    field(header, 124, 12, octal(size, 12));
    field(header, 136, 12, octal(Math.floor(e.mtime), 12));
    field(header, 148, 8, '        ');
    header[156] = e.type === 'file' ? 48 : 53; // '0' or '5'
    field(header, 257, 8, 'ustar\x0000');
    let sum = 0;
    for (const b of header) sum += b;
    field(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    parts.push(header);
    if (size > 0) {
      parts.push(e.data);
      if (size % BLOCK) parts.push(new Uint8Array(BLOCK - (size % BLOCK)));
    }
  }
  parts.push(new Uint8Array(2 * BLOCK));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
