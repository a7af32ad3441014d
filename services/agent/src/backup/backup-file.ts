/**
 * The backup file's envelope (docs/ARCHITECTURE.md "Backup and restore"): everything after a
 * one-line clear header is sealed under a passphrase, in chunks, so a backup of any size streams.
 *
 *   header = one JSON line: { format: "kith-backup", v: 1, kdf: { alg, N, r, p, salt }, nonce, createdAt }
 *   K      = HKDF-SHA256(scrypt(passphrase, salt), label KDF.BACKUP)
 *   chunk  = u32be length || XChaCha20-Poly1305(K, nonce16 || u64be index, data, aad = header || final)
 *
 * `final` is 1 on the last chunk only, so a file cut short or with chunks moved does not open.
 */
import { scrypt as scryptCallback } from 'node:crypto';
import { promisify } from 'node:util';
import { defaultBackend, utf8 } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { KDF } from '@kith/core/labels';
import { scryptWithinBounds } from '../keystore/scrypt-bounds.ts';

const scrypt = promisify(scryptCallback) as (
  password: Uint8Array,
  salt: Uint8Array,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

export const BACKUP_FORMAT = 'kith-backup';
/** Plaintext per chunk; the last may be shorter (or empty). */
export const BACKUP_CHUNK_BYTES = 64 * 1024;
const TAG_BYTES = 16;
const MAX_HEADER_BYTES = 1024;
export const BACKUP_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  v: 1;
  kdf: { alg: 'scrypt'; N: number; r: number; p: number; salt: string };
  nonce: string;
  createdAt: string;
}

async function deriveKey(passphrase: string, kdf: BackupHeader['kdf']): Promise<Uint8Array> {
  const stretched = await scrypt(
    utf8.encode(passphrase.normalize('NFKC')),
    Buffer.from(kdf.salt, 'base64'),
    32,
    {
      N: kdf.N,
      r: kdf.r,
      p: kdf.p,
      maxmem: 256 * kdf.N * kdf.r + 1024 * 1024,
    },
  );
  return defaultBackend().hkdfSha256(
    new Uint8Array(stretched),
    new Uint8Array(0),
    utf8.encode(KDF.BACKUP),
    32,
  );
}

function chunkNonce(prefix: Uint8Array, index: number): Uint8Array {
  const nonce = new Uint8Array(24);
  nonce.set(prefix, 0);
  new DataView(nonce.buffer).setBigUint64(16, BigInt(index));
  return nonce;
}

function aad(header: Uint8Array, final: boolean): Uint8Array {
  const out = new Uint8Array(header.length + 1);
  out.set(header, 0);
  out[header.length] = final ? 1 : 0;
  return out;
}

/** Seals a plaintext byte stream into backup-file bytes. */
export async function* sealBackup(
  plaintext: AsyncIterable<Uint8Array>,
  passphrase: string,
  random: (n: number) => Uint8Array,
  now: Date,
  params: { N: number; r: number; p: number } = BACKUP_SCRYPT,
): AsyncGenerator<Uint8Array> {
  if (passphrase.length === 0) throw new KithError('INVALID_INPUT', 'The backup passphrase is empty.');
  const header: BackupHeader = {
    format: BACKUP_FORMAT,
    v: 1,
    kdf: { alg: 'scrypt', ...params, salt: Buffer.from(random(16)).toString('base64') },
    nonce: Buffer.from(random(16)).toString('base64'),
    createdAt: now.toISOString(),
  };
  const headerBytes = utf8.encode(`${JSON.stringify(header)}\n`);
  const key = await deriveKey(passphrase, header.kdf);
  const prefix = new Uint8Array(Buffer.from(header.nonce, 'base64'));
  const crypto = defaultBackend();
  yield headerBytes;
  let index = 0;
  let pending = new Uint8Array(0);
  const emit = (data: Uint8Array, final: boolean): Uint8Array => {
    const sealed = crypto.xchacha20poly1305Seal(
      key,
      chunkNonce(prefix, index++),
      data,
      aad(headerBytes, final),
    );
    const out = new Uint8Array(4 + sealed.length);
    new DataView(out.buffer).setUint32(0, sealed.length);
    out.set(sealed, 4);
    return out;
  };
  for await (const piece of plaintext) {
    const joined = new Uint8Array(pending.length + piece.length);
    joined.set(pending, 0);
    joined.set(piece, pending.length);
    let at = 0;
    // Keep at least one byte back so the final chunk is never a full one followed by nothing.
    while (joined.length - at > BACKUP_CHUNK_BYTES) {
      yield emit(joined.subarray(at, at + BACKUP_CHUNK_BYTES), false);
      at += BACKUP_CHUNK_BYTES;
    }
    pending = joined.slice(at);
  }
  yield emit(pending, true);
}

/** Reads exactly n bytes from a byte stream, or fewer at its end. */
class ByteReader {
  private buffer = new Uint8Array(0);
  private done = false;
  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.source.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    const joined = new Uint8Array(this.buffer.length + next.value.length);
    joined.set(this.buffer, 0);
    joined.set(next.value, this.buffer.length);
    this.buffer = joined;
    return true;
  }

  async take(n: number): Promise<Uint8Array> {
    while (this.buffer.length < n && (await this.fill())) {}
    const out = this.buffer.slice(0, n);
    this.buffer = this.buffer.slice(out.length);
    return out;
  }

  /** The first line, newline included. */
  async line(max: number): Promise<Uint8Array> {
    for (;;) {
      const nl = this.buffer.indexOf(10);
      if (nl >= 0) return this.take(nl + 1);
      if (this.buffer.length > max || !(await this.fill())) throw new KithError('BACKUP_INVALID');
    }
  }
}

/**
 * The header line (newline included) to the header, before any key is derived: BACKUP_INVALID
 * unless it is the JSON this build writes with scrypt within bounds. Pure, so the fuzzer runs
 * it on its own (docs/SECURITY.md "Fuzzing").
 */
export function parseBackupHeader(bytes: Uint8Array): BackupHeader {
  // Here, not only in the stream's reader: that one sees the limit only between pieces.
  if (bytes.length > MAX_HEADER_BYTES) throw new KithError('BACKUP_INVALID');
  let h: BackupHeader;
  try {
    h = JSON.parse(utf8.decode(bytes)) as BackupHeader;
  } catch {
    throw new KithError('BACKUP_INVALID');
  }
  const k = h?.kdf;
  const ok =
    h?.format === BACKUP_FORMAT &&
    h.v === 1 &&
    k?.alg === 'scrypt' &&
    Number.isInteger(k.N) &&
    k.N >= 2 ** 14 &&
    k.N <= 2 ** 20 &&
    Number.isInteger(k.r) &&
    k.r >= 1 &&
    k.r <= 32 &&
    Number.isInteger(k.p) &&
    k.p >= 1 &&
    k.p <= 16 &&
    typeof k.salt === 'string' &&
    typeof h.nonce === 'string' &&
    Buffer.from(h.nonce, 'base64').length === 16 &&
    scryptWithinBounds(k, BACKUP_SCRYPT);
  if (!ok) throw new KithError('BACKUP_INVALID');
  return h;
}

/** Opens backup-file bytes back into the plaintext stream; throws before yielding anything wrong. */
export async function* openBackup(
  sealed: AsyncIterable<Uint8Array>,
  passphrase: string,
): AsyncGenerator<Uint8Array> {
  const reader = new ByteReader(sealed[Symbol.asyncIterator]());
  const headerBytes = await reader.line(MAX_HEADER_BYTES);
  const header = parseBackupHeader(headerBytes);
  const key = await deriveKey(passphrase, header.kdf);
  const prefix = new Uint8Array(Buffer.from(header.nonce, 'base64'));
  const crypto = defaultBackend();
  for (let index = 0; ; index++) {
    const length = await reader.take(4);
    if (length.length < 4) throw new KithError('BACKUP_INVALID', 'The backup ends early: it was cut short.');
    const n = new DataView(length.buffer, length.byteOffset).getUint32(0);
    if (n < TAG_BYTES || n > BACKUP_CHUNK_BYTES + TAG_BYTES) throw new KithError('BACKUP_INVALID');
    const chunk = await reader.take(n);
    if (chunk.length < n) throw new KithError('BACKUP_INVALID', 'The backup ends early: it was cut short.');
    const nonce = chunkNonce(prefix, index);
    let data: Uint8Array;
    let final = false;
    try {
      data = crypto.xchacha20poly1305Open(key, nonce, chunk, aad(headerBytes, false));
    } catch {
      try {
        data = crypto.xchacha20poly1305Open(key, nonce, chunk, aad(headerBytes, true));
        final = true;
      } catch {
        throw new KithError('BACKUP_BAD_PASSPHRASE');
      }
    }
    yield data;
    if (final) {
      if ((await reader.take(1)).length > 0)
        throw new KithError('BACKUP_INVALID', 'The backup has bytes after its end.');
      return;
    }
  }
}
