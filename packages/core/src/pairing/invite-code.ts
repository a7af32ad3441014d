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
import { RUNS_PAST_END, cborItemEnd } from '../cbor-extent.ts';
import type { CryptoBackend } from '../crypto/backend.ts';
import { constantTimeEqual, defaultBackend, utf8 } from '../crypto/index.ts';
import { KithError, isKithError } from '../errors.ts';
import { defineFormat } from '../format.ts';
import { KDF } from '../labels.ts';

const PREFIX = 'KITH1';
/** Longest text read as a code: 8/5 of the largest payload and checksum, doubled for separators. */
const MAX_CODE_CHARS = 2 * (PREFIX.length + Math.ceil(((1024 + 4) * 8) / 5));
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CHECK_BYTES = 4;
/**
 * The shortest body a real invite can have: its smallest payload (a user id, a key, an id, a
 * secret, one address, an expiry) is well over 120 bytes, about 200 characters; anything shorter
 * was cut off.
 */
const MIN_BODY_CHARS = 160;

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
  const check = backend.sha256(payload).subarray(0, CHECK_BYTES);
  const body = toBase32(Uint8Array.from([...payload, ...check]));
  return `${PREFIX}-${body.match(/.{1,5}/g)!.join('-')}`;
}

/** Reads a typed or scanned code; forgiving of case, spaces, dashes, and I/L/O look-alikes. */
export function decodeInvite(code: string, backend: CryptoBackend = defaultBackend()): Invite {
  // The payload is at most InviteFormat.maxBytes; base32 and generous room for spaces and dashes.
  if (typeof code !== 'string' || code.length > MAX_CODE_CHARS) {
    throw new KithError('INVITE_INVALID', 'It is far too long to be an invite code.');
  }
  const cleaned = code
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/^KITH[IL]/, 'KITH1');
  if (!cleaned.startsWith(PREFIX)) {
    if (cleaned.length > 0 && PREFIX.startsWith(cleaned))
      throw new KithError('INVITE_INCOMPLETE', `It stops inside ${PREFIX}, where an invite code starts.`);
    throw new KithError('INVITE_INVALID', `An invite code starts with ${PREFIX}.`);
  }
  const body = cleaned.slice(PREFIX.length).replace(/[IL]/g, '1').replace(/O/g, '0');
  const stray = [...body].find((c) => !ALPHABET.includes(c));
  if (stray !== undefined)
    throw new KithError('INVITE_INVALID', `It has a character that does not belong in a code: “${stray}”.`);
  if (body.length < MIN_BODY_CHARS)
    throw new KithError(
      'INVITE_INCOMPLETE',
      `It has ${body.length} characters after ${PREFIX}; a whole invite code has at least ${MIN_BODY_CHARS}.`,
    );
  const bytes = fromBase32(body);
  if (!bytes)
    throw new KithError(
      'INVITE_INCOMPLETE',
      'Its last group is cut off: a character is probably missing at the end.',
    );
  // Cut off, exactly: the payload's own length headers say it runs past the end, or it ends but
  // the checksum after it is short. A proper prefix of a real code always lands here.
  const payloadEnd = cborItemEnd(bytes);
  if (
    payloadEnd === RUNS_PAST_END ||
    (typeof payloadEnd === 'number' && payloadEnd + CHECK_BYTES > bytes.length)
  )
    throw new KithError(
      'INVITE_INCOMPLETE',
      'It ends in the middle of an invite: the rest of the code is probably missing (or a character is mistyped).',
    );
  const payload = bytes.subarray(0, bytes.length - CHECK_BYTES);
  const check = bytes.subarray(bytes.length - CHECK_BYTES);
  if (!constantTimeEqual(backend.sha256(payload).subarray(0, CHECK_BYTES), check)) {
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
