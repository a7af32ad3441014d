/**
 * The device key file (docs/DESIGN.md §4): the device's private keys at rest.
 *
 *   KeyFile v1 = { v, userId, deviceId, index, protection, kdf, nonce, secret }
 *   protection "passphrase": secret = XChaCha20-Poly1305(K, nonce, payload, aad = header), where
 *     K = HKDF-SHA256(scrypt(passphrase, salt, N=2^17, r=8, p=1), label KDF.KEYSTORE)
 *   protection "none": secret = payload in clear; the file is 0600 (see docs/SECURITY.md).
 *   payload = canonical CBOR { v, signingSeed, agreementPrivateKey, storageKey }
 *
 * The ids are in clear so `kith identity` and a locked relay know who they are.
 */
import { scrypt as scryptCallback } from 'node:crypto';
import { promisify } from 'node:util';
import { encodeCanonical } from '@kith/core/codec';
import { defaultBackend, utf8 } from '@kith/core/crypto/index';
import { KithError, isKithError } from '@kith/core/errors';
import { defineFormat } from '@kith/core/format';
import { KDF } from '@kith/core/labels';
import { Type } from '@sinclair/typebox';
import { scryptWithinBounds } from './scrypt-bounds.ts';

const scrypt = promisify(scryptCallback) as (
  password: Uint8Array,
  salt: Uint8Array,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** Interactive-login strength: about 0.3 s and 128 MiB on this class of machine. */
export const SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;

const Kdf = Type.Object(
  {
    alg: Type.Literal('scrypt'),
    N: Type.Integer({ minimum: 2 ** 14, maximum: 2 ** 22 }),
    r: Type.Integer({ minimum: 1, maximum: 32 }),
    p: Type.Integer({ minimum: 1, maximum: 16 }),
    salt: Type.Uint8Array({ minByteLength: 16, maxByteLength: 64 }),
  },
  { additionalProperties: false },
);

export const KeyFileFormat = defineFormat(
  'key-file',
  1,
  4096,
  Type.Object(
    {
      v: Type.Literal(1),
      userId: Type.String({ maxLength: 40 }),
      deviceId: Type.String({ maxLength: 40 }),
      index: Type.Integer({ minimum: 0, maximum: 0x7fffffff }),
      protection: Type.Union([Type.Literal('passphrase'), Type.Literal('none')]),
      kdf: Type.Union([Kdf, Type.Null()]),
      nonce: Type.Uint8Array({ maxByteLength: 24 }),
      secret: Type.Uint8Array({ maxByteLength: 1024 }),
    },
    { additionalProperties: false },
  ),
);

const Key32 = Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 });
const PayloadFormat = defineFormat(
  'key-file-payload',
  1,
  1024,
  Type.Object(
    { v: Type.Literal(1), signingSeed: Key32, agreementPrivateKey: Key32, storageKey: Key32 },
    { additionalProperties: false },
  ),
);

export interface DeviceSecrets {
  signingSeed: Uint8Array;
  agreementPrivateKey: Uint8Array;
  /** Encrypts this device's local state files. */
  storageKey: Uint8Array;
}

export interface KeyFileHeader {
  userId: string;
  deviceId: string;
  index: number;
  protection: 'passphrase' | 'none';
}

async function deriveFileKey(passphrase: string, kdf: { N: number; r: number; p: number; salt: Uint8Array }) {
  const stretched = await scrypt(utf8.encode(passphrase.normalize('NFKC')), kdf.salt, 32, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.N * kdf.r + 1024 * 1024,
  });
  return defaultBackend().hkdfSha256(
    new Uint8Array(stretched),
    new Uint8Array(0),
    utf8.encode(KDF.KEYSTORE),
    32,
  );
}

function headerAad(h: KeyFileHeader, kdf: unknown): Uint8Array {
  return encodeCanonical({
    userId: h.userId,
    deviceId: h.deviceId,
    index: h.index,
    protection: h.protection,
    kdf: kdf as never,
  });
}

export async function sealKeyFile(
  header: KeyFileHeader,
  secrets: DeviceSecrets,
  passphrase: string | undefined,
  random: (n: number) => Uint8Array,
  params: { N: number; r: number; p: number } = SCRYPT_PARAMS,
): Promise<Uint8Array> {
  const payload = PayloadFormat.encode({ v: 1, ...secrets });
  if (passphrase === undefined) {
    return KeyFileFormat.encode({
      v: 1,
      ...header,
      protection: 'none',
      kdf: null,
      nonce: new Uint8Array(0),
      secret: payload,
    });
  }
  if (passphrase.length === 0) throw new KithError('INVALID_INPUT', 'The unlock passphrase is empty.');
  const kdf = { alg: 'scrypt' as const, ...params, salt: random(16) };
  const h = { ...header, protection: 'passphrase' as const };
  const nonce = random(24);
  const key = await deriveFileKey(passphrase, kdf);
  const secret = defaultBackend().xchacha20poly1305Seal(key, nonce, payload, headerAad(h, kdf));
  return KeyFileFormat.encode({ v: 1, ...h, kdf, nonce, secret });
}

export function readKeyFileHeader(bytes: Uint8Array): KeyFileHeader {
  try {
    const f = KeyFileFormat.decode(bytes);
    return { userId: f.userId, deviceId: f.deviceId, index: f.index, protection: f.protection };
  } catch (cause) {
    throw new KithError('KEYSTORE_CORRUPT', undefined, { cause });
  }
}

/** A key file as its checks before any key is derived leave it (parseKeyFile). */
export type ParsedKeyFile =
  | { protection: 'none'; secrets: DeviceSecrets }
  | {
      protection: 'passphrase';
      header: KeyFileHeader;
      kdf: NonNullable<ReturnType<typeof KeyFileFormat.decode>['kdf']>;
      nonce: Uint8Array;
      secret: Uint8Array;
    };

/**
 * Everything openKeyFile checks before scrypt runs, without file I/O or key derivation (so the
 * fuzzer can run it a million times, docs/SECURITY.md "Fuzzing"): the format, the passphrase's
 * presence, scrypt's bounds and the nonce; a file in clear is decoded in full.
 */
export function parseKeyFile(bytes: Uint8Array, hasPassphrase: boolean): ParsedKeyFile {
  let f: ReturnType<typeof KeyFileFormat.decode>;
  try {
    f = KeyFileFormat.decode(bytes);
  } catch (cause) {
    throw new KithError('KEYSTORE_CORRUPT', undefined, { cause });
  }
  if (f.protection === 'none') return { protection: 'none', secrets: decodePayload(f.secret) };
  if (!hasPassphrase) {
    throw new KithError('KEYSTORE_LOCKED', 'Pass --passphrase-file FILE or set KITH_PASSPHRASE_FILE.');
  }
  if (!f.kdf) throw new KithError('KEYSTORE_CORRUPT');
  if (!scryptWithinBounds(f.kdf, SCRYPT_PARAMS) || f.nonce.length !== 24)
    throw new KithError('KEYSTORE_CORRUPT');
  const header = { userId: f.userId, deviceId: f.deviceId, index: f.index, protection: f.protection };
  return { protection: 'passphrase', header, kdf: f.kdf, nonce: f.nonce, secret: f.secret };
}

function decodePayload(payload: Uint8Array): DeviceSecrets {
  try {
    const p = PayloadFormat.decode(payload);
    return {
      signingSeed: p.signingSeed,
      agreementPrivateKey: p.agreementPrivateKey,
      storageKey: p.storageKey,
    };
  } catch (cause) {
    throw new KithError('KEYSTORE_CORRUPT', undefined, { cause });
  }
}

export async function openKeyFile(bytes: Uint8Array, passphrase: string | undefined): Promise<DeviceSecrets> {
  const f = parseKeyFile(bytes, passphrase !== undefined);
  if (f.protection === 'none') return f.secrets;
  const key = await deriveFileKey(passphrase!, f.kdf);
  let payload: Uint8Array;
  try {
    payload = defaultBackend().xchacha20poly1305Open(key, f.nonce, f.secret, headerAad(f.header, f.kdf));
  } catch (cause) {
    if (isKithError(cause, 'CRYPTO_DECRYPT_FAILED')) throw new KithError('KEYSTORE_BAD_PASSPHRASE');
    throw cause;
  }
  return decodePayload(payload);
}
