/**
 * The in-person invite (docs/DESIGN.md §6, docs/PROTOCOL.md "Pairing"): everything the acceptor needs to
 * open a Noise IKpsk2 link to the inviter, as a code to scan (QR) or type.
 *
 *   payload = canonical CBOR { v, role, user, key, id, secret, addrs, exp }
 *   code    = "KITH1" + crockford32(payload || SHA-256(payload)[0..3]), in groups of five
 *
 * The secret never leaves the code: the link's psk is HKDF(secret, label INVITE_PSK). The inviter
 * keeps the secret only sealed under its storage key; the id is no secret (it travels in clear in
 * the IKpsk2 hello) and is stored as is, to find the invite. Single use and an expiry (default 10
 * minutes) bound what a photographed code is worth.
 */
import { Type } from '@sinclair/typebox';
import { Address } from '../address-record.ts';
import type { CryptoBackend } from '../crypto/backend.ts';
import { constantTimeEqual, defaultBackend, utf8 } from '../crypto/index.ts';
import { KithError, isKithError } from '../errors.ts';
import { defineFormat } from '../format.ts';
import { KDF } from '../labels.ts';

const PREFIX = 'KITH1';
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export type InviteRole = 'friend' | 'device';

export const InviteFormat = defineFormat(
  'invite',
  1,
  1024,
  Type.Object(
    {
      v: Type.Literal(1),
      role: Type.Union([Type.Literal('friend'), Type.Literal('device')]),
      user: Type.String({ maxLength: 40 }),
      key: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
      id: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
      secret: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
      addrs: Type.Array(Address, { minItems: 1, maxItems: 6 }),
      exp: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
);

export interface Invite {
  role: InviteRole;
  /** The inviter's user id. */
  user: string;
  /** The inviter device's static X25519 key (its Noise static). */
  key: Uint8Array;
  id: Uint8Array;
  secret: Uint8Array;
  addrs: string[];
  /** Expiry, Unix seconds. */
  exp: number;
}

function toBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

function fromBase32(text: string): Uint8Array | undefined {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const c of text) {
    const v = ALPHABET.indexOf(c);
    if (v < 0) return undefined;
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  // leftover bits must be zero padding
  if (bits >= 5 || (buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return Uint8Array.from(out);
}

export function encodeInvite(invite: Invite, backend: CryptoBackend = defaultBackend()): string {
  const payload = InviteFormat.encode({ v: 1, ...invite });
  const check = backend.sha256(payload).subarray(0, 4);
  const body = toBase32(Uint8Array.from([...payload, ...check]));
  return `${PREFIX}-${body.match(/.{1,5}/g)!.join('-')}`;
}

/** Reads a typed or scanned code; forgiving of case, spaces, dashes, and I/L/O look-alikes. */
export function decodeInvite(code: string, backend: CryptoBackend = defaultBackend()): Invite {
  const cleaned = code
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/^KITH[IL]/, 'KITH1');
  if (!cleaned.startsWith(PREFIX)) {
    throw new KithError('INVITE_INVALID', `An invite code starts with ${PREFIX}.`);
  }
  const body = cleaned.slice(PREFIX.length).replace(/[IL]/g, '1').replace(/O/g, '0');
  const bytes = fromBase32(body);
  if (!bytes || bytes.length < 5)
    throw new KithError('INVITE_INVALID', 'It has characters that do not belong in a code.');
  const payload = bytes.subarray(0, bytes.length - 4);
  if (!constantTimeEqual(backend.sha256(payload).subarray(0, 4), bytes.subarray(bytes.length - 4))) {
    throw new KithError(
      'INVITE_INVALID',
      'Its checksum does not match: a character is probably mistyped or missing.',
    );
  }
  try {
    const { v: _v, ...invite } = InviteFormat.decode(payload);
    return invite;
  } catch (cause) {
    if (isKithError(cause)) throw new KithError('INVITE_INVALID', cause.detail, { cause });
    throw cause;
  }
}

export function invitePsk(secret: Uint8Array, backend: CryptoBackend = defaultBackend()): Uint8Array {
  return backend.hkdfSha256(secret, new Uint8Array(0), utf8.encode(KDF.INVITE_PSK), 32);
}

/** Throws INVITE_EXPIRED when `nowMs` is past the invite's expiry. */
export function checkInviteFresh(invite: Pick<Invite, 'exp'>, nowMs: number): void {
  if (nowMs > invite.exp * 1000) throw new KithError('INVITE_EXPIRED');
}
