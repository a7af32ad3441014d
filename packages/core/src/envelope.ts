/**
 * The envelope (DESIGN §5): the one encryption format of Kith.
 *
 *   header  = canonical CBOR { v, kind, sender, createdAt, t, nonce, recipients[], meta }
 *   body    = XChaCha20-Poly1305(contentKey, nonce, plaintext, aad = header bytes)
 *   wraps   = t = 1: the content key HPKE-sealed to each recipient X25519 key;
 *             t ≥ 2: the content key split t-of-n with Shamir, one share sealed per recipient.
 *             HPKE info = KDF.ENVELOPE_WRAP, aad = nonce || t, binding each wrap to this body.
 *   sig     = Ed25519 by the sender device over label SIG.ENVELOPE || header || SHA-256(body)
 *   id      = SHA-256(label HASH.ENVELOPE_ID || envelope bytes)
 *
 * Header v2 (share groups, for the archive; docs/ARCHITECTURE.md "Archive encryption and
 * retrieval"): `groups` replaces `recipients`. The content key is split t-of-n over the n groups
 * (t = 1: each group's "share" is the content key) and every key in group i gets share i,
 * HPKE info = KDF.ENVELOPE_WRAP_GROUP, aad = nonce || t || n || i. So "any device of the owner
 * plus the holder" is one 2-of-2 split with many keys on each side. The outer envelope and the
 * signature are the same for both header versions; v1 is unchanged.
 *
 * Limits: body ≤ 4 MiB of plaintext, 1–255 recipients (v2: over all groups), meta ≤ 4 KiB.
 */
import { Type } from '@sinclair/typebox';
import type { CryptoBackend, RandomSource } from './crypto/backend.ts';
import { hpkeOpen, hpkeSeal } from './crypto/hpke.ts';
import { concatBytes, constantTimeEqual, defaultBackend, utf8 } from './crypto/index.ts';
import { combineShares, splitSecret } from './crypto/shamir.ts';
import { decodeCanonical } from './codec.ts';
import { KithError, isKithError } from './errors.ts';
import { defineFormat } from './format.ts';
import type { AgreementKeyPair, SigningKeyPair } from './identity/derive.ts';
import { HASH, KDF, SIG, frameWithLabel } from './labels.ts';
import { signWithLabel, verifyWithLabel } from './signing.ts';

export const ENVELOPE_MAX_PLAINTEXT = 4 * 1024 * 1024;
export const ENVELOPE_MAX_RECIPIENTS = 255;
export const ENVELOPE_MAX_META = 4096;
const HEADER_MAX = 64 * 1024;

const Key32 = Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 });

const HeaderFormat = defineFormat(
  'envelope-header',
  1,
  HEADER_MAX,
  Type.Object(
    {
      v: Type.Literal(1),
      kind: Type.String({ minLength: 1, maxLength: 32 }),
      sender: Key32,
      createdAt: Type.Integer({ minimum: 0 }),
      t: Type.Integer({ minimum: 1, maximum: ENVELOPE_MAX_RECIPIENTS }),
      nonce: Type.Uint8Array({ minByteLength: 24, maxByteLength: 24 }),
      recipients: Type.Array(
        Type.Object(
          { key: Key32, enc: Key32, wrapped: Type.Uint8Array({ maxByteLength: 128 }) },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: ENVELOPE_MAX_RECIPIENTS },
      ),
      meta: Type.Uint8Array({ maxByteLength: ENVELOPE_MAX_META }),
    },
    { additionalProperties: false },
  ),
);

const Wrap = Type.Object(
  { key: Key32, enc: Key32, wrapped: Type.Uint8Array({ maxByteLength: 128 }) },
  { additionalProperties: false },
);

const HeaderV2Format = defineFormat(
  'envelope-header',
  2,
  HEADER_MAX,
  Type.Object(
    {
      v: Type.Literal(2),
      kind: Type.String({ minLength: 1, maxLength: 32 }),
      sender: Key32,
      createdAt: Type.Integer({ minimum: 0 }),
      t: Type.Integer({ minimum: 1, maximum: ENVELOPE_MAX_RECIPIENTS }),
      nonce: Type.Uint8Array({ minByteLength: 24, maxByteLength: 24 }),
      groups: Type.Array(Type.Array(Wrap, { minItems: 1, maxItems: ENVELOPE_MAX_RECIPIENTS }), {
        minItems: 1,
        maxItems: ENVELOPE_MAX_RECIPIENTS,
      }),
      meta: Type.Uint8Array({ maxByteLength: ENVELOPE_MAX_META }),
    },
    { additionalProperties: false },
  ),
);

export const EnvelopeFormat = defineFormat(
  'envelope',
  1,
  ENVELOPE_MAX_PLAINTEXT + HEADER_MAX + 1024,
  Type.Object(
    {
      v: Type.Literal(1),
      header: Type.Uint8Array({ maxByteLength: HEADER_MAX }),
      body: Type.Uint8Array({ maxByteLength: ENVELOPE_MAX_PLAINTEXT + 16 }),
      sig: Type.Uint8Array({ minByteLength: 64, maxByteLength: 64 }),
    },
    { additionalProperties: false },
  ),
);

interface SealCommon {
  /** What the body is (e.g. "message", "epoch-key", "archive"); authenticated, visible to relays. */
  kind: string;
  plaintext: Uint8Array;
  sender: SigningKeyPair;
  createdAt: number;
  /** Authenticated, unencrypted routing data. */
  meta?: Uint8Array;
  random: RandomSource;
  backend?: CryptoBackend;
}

/** Header v1: one share (or the content key) per recipient key. */
export interface SealToRecipients extends SealCommon {
  /** Recipient X25519 public keys, each a different key. */
  recipients: Uint8Array[];
  shareGroups?: undefined;
  /** Shares needed to open; 1 means any recipient reads. */
  threshold: number;
}

/** Header v2: one share per group, given to every key of the group. */
export interface SealToGroups extends SealCommon {
  /** Groups of X25519 public keys; a key appears at most once per group. */
  shareGroups: Uint8Array[][];
  recipients?: undefined;
  /** Groups needed to open (1 ≤ threshold ≤ number of groups); 1 means any key reads. */
  threshold: number;
}

export type SealOptions = SealToRecipients | SealToGroups;

export interface VerifiedEnvelope {
  readonly id: Uint8Array;
  readonly kind: string;
  readonly sender: Uint8Array;
  readonly createdAt: number;
  readonly threshold: number;
  /** Every recipient key, each once (v2: over all groups, in group order). */
  readonly recipients: readonly Uint8Array[];
  /** 1: a share per recipient; 2: share groups. */
  readonly headerVersion: 1 | 2;
  /** The share groups (v1: one group per recipient). */
  readonly groups: readonly (readonly Uint8Array[])[];
  readonly meta: Uint8Array;
}

export interface OpenedEnvelope extends VerifiedEnvelope {
  readonly plaintext: Uint8Array;
}

function wrapAad(nonce: Uint8Array, t: number): Uint8Array {
  return concatBytes(nonce, Uint8Array.of(t));
}

function groupWrapAad(nonce: Uint8Array, t: number, n: number, i: number): Uint8Array {
  return concatBytes(nonce, Uint8Array.of(t, n, i));
}

const wrapInfo = utf8.encode(KDF.ENVELOPE_WRAP);
const groupWrapInfo = utf8.encode(KDF.ENVELOPE_WRAP_GROUP);

function checkPlaintext(plaintext: Uint8Array): void {
  if (plaintext.length > ENVELOPE_MAX_PLAINTEXT) {
    throw new KithError('ENVELOPE_TOO_LARGE', `The body may be at most ${ENVELOPE_MAX_PLAINTEXT} bytes.`);
  }
}

function assertDistinct(keys: readonly Uint8Array[], where: string): void {
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) {
      if (constantTimeEqual(keys[i]!, keys[j]!)) {
        throw new KithError('INVALID_INPUT', `Each recipient key may appear only once ${where}.`);
      }
    }
  }
}

/** Body sealing and signing, shared by both header versions. */
function finish(
  options: SealOptions,
  backend: CryptoBackend,
  header: Uint8Array,
  contentKey: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  const body = backend.xchacha20poly1305Seal(contentKey, nonce, options.plaintext, header);
  const sig = signWithLabel(
    SIG.ENVELOPE,
    concatBytes(header, backend.sha256(body)),
    options.sender.seed,
    backend,
  );
  return EnvelopeFormat.encode({ v: 1, header, body, sig });
}

async function sealGroups(options: SealToGroups, backend: CryptoBackend): Promise<Uint8Array> {
  const { shareGroups: groups, threshold: t } = options;
  checkPlaintext(options.plaintext);
  const total = groups.reduce((sum, g) => sum + g.length, 0);
  if (groups.length < 1 || groups.some((g) => g.length < 1) || total > ENVELOPE_MAX_RECIPIENTS) {
    throw new KithError(
      'INVALID_INPUT',
      `An envelope has 1 or more non-empty share groups with at most ${ENVELOPE_MAX_RECIPIENTS} keys in all.`,
    );
  }
  if (!Number.isInteger(t) || t < 1 || t > groups.length) throw new KithError('ENVELOPE_BAD_THRESHOLD');
  for (const g of groups) assertDistinct(g, 'in a share group');
  const contentKey = options.random(32);
  const nonce = options.random(24);
  const n = groups.length;
  const secrets = t === 1 ? groups.map(() => contentKey) : await splitSecret(contentKey, n, t);
  const wrapped = await Promise.all(
    groups.map((keys, i) =>
      Promise.all(
        keys.map(async (key) => {
          const { enc, ciphertext } = await hpkeSeal(key, secrets[i]!, {
            info: groupWrapInfo,
            aad: groupWrapAad(nonce, t, n, i),
            random: options.random,
          });
          return { key, enc, wrapped: ciphertext };
        }),
      ),
    ),
  );
  const header = HeaderV2Format.encode({
    v: 2,
    kind: options.kind,
    sender: options.sender.publicKey,
    createdAt: options.createdAt,
    t,
    nonce,
    groups: wrapped,
    meta: options.meta ?? new Uint8Array(0),
  });
  return finish(options, backend, header, contentKey, nonce);
}

export async function sealEnvelope(options: SealOptions): Promise<Uint8Array> {
  const backend = options.backend ?? defaultBackend();
  if (options.shareGroups !== undefined) return sealGroups(options, backend);
  const { recipients, threshold: t } = options;
  if (options.plaintext.length > ENVELOPE_MAX_PLAINTEXT) {
    throw new KithError('ENVELOPE_TOO_LARGE', `The body may be at most ${ENVELOPE_MAX_PLAINTEXT} bytes.`);
  }
  if (recipients.length < 1 || recipients.length > ENVELOPE_MAX_RECIPIENTS) {
    throw new KithError('INVALID_INPUT', `An envelope has 1 to ${ENVELOPE_MAX_RECIPIENTS} recipients.`);
  }
  if (!Number.isInteger(t) || t < 1 || t > recipients.length) throw new KithError('ENVELOPE_BAD_THRESHOLD');
  for (let i = 0; i < recipients.length; i++) {
    for (let j = i + 1; j < recipients.length; j++) {
      if (constantTimeEqual(recipients[i]!, recipients[j]!)) {
        throw new KithError('INVALID_INPUT', 'Each recipient key may appear only once.');
      }
    }
  }
  const contentKey = options.random(32);
  const nonce = options.random(24);
  const secrets =
    t === 1 ? recipients.map(() => contentKey) : await splitSecret(contentKey, recipients.length, t);
  const aad = wrapAad(nonce, t);
  const wraps = await Promise.all(
    recipients.map(async (key, i) => {
      const { enc, ciphertext } = await hpkeSeal(key, secrets[i]!, {
        info: wrapInfo,
        aad,
        random: options.random,
      });
      return { key, enc, wrapped: ciphertext };
    }),
  );
  const header = HeaderFormat.encode({
    v: 1,
    kind: options.kind,
    sender: options.sender.publicKey,
    createdAt: options.createdAt,
    t,
    nonce,
    recipients: wraps,
    meta: options.meta ?? new Uint8Array(0),
  });
  return finish(options, backend, header, contentKey, nonce);
}

export function envelopeId(bytes: Uint8Array, backend: CryptoBackend = defaultBackend()): Uint8Array {
  return backend.sha256(frameWithLabel(HASH.ENVELOPE_ID, bytes));
}

/** One wrapped share as both header versions carry it: the group it belongs to and its aad. */
interface Entry {
  key: Uint8Array;
  enc: Uint8Array;
  wrapped: Uint8Array;
  group: number;
}

interface Parsed {
  outer: ReturnType<typeof EnvelopeFormat.decode>;
  nonce: Uint8Array;
  t: number;
  version: 1 | 2;
  entries: Entry[];
  verified: VerifiedEnvelope;
}

function decodeHeader(bytes: Uint8Array) {
  const raw = decodeCanonical(bytes, HEADER_MAX);
  const v = (raw as { v?: unknown } | null)?.v;
  return v === 2 ? HeaderV2Format.check(raw) : HeaderFormat.check(raw);
}

function parse(bytes: Uint8Array, backend: CryptoBackend): Parsed {
  let outer: Parsed['outer'];
  let header: ReturnType<typeof decodeHeader>;
  try {
    outer = EnvelopeFormat.decode(bytes);
    header = decodeHeader(outer.header);
  } catch (cause) {
    if (isKithError(cause, 'CODEC_OVERSIZE')) throw new KithError('ENVELOPE_TOO_LARGE', undefined, { cause });
    throw new KithError('ENVELOPE_TAMPERED', 'It is not a well-formed envelope.', { cause });
  }
  const signed = concatBytes(outer.header, backend.sha256(outer.body));
  if (!verifyWithLabel(SIG.ENVELOPE, outer.sig, signed, header.sender, backend)) {
    throw new KithError('ENVELOPE_TAMPERED', 'The sender signature does not verify.');
  }
  let entries: Entry[];
  let groups: Uint8Array[][];
  if (header.v === 2) {
    entries = header.groups.flatMap((g, group) => g.map((w) => ({ ...w, group })));
    groups = header.groups.map((g) => g.map((w) => w.key));
  } else {
    entries = header.recipients.map((w, group) => ({ ...w, group }));
    groups = header.recipients.map((w) => [w.key]);
  }
  const recipients: Uint8Array[] = [];
  for (const e of entries) if (!recipients.some((k) => constantTimeEqual(k, e.key))) recipients.push(e.key);
  return {
    outer,
    nonce: header.nonce,
    t: header.t,
    version: header.v,
    entries,
    verified: {
      id: envelopeId(bytes, backend),
      kind: header.kind,
      sender: header.sender,
      createdAt: header.createdAt,
      threshold: header.t,
      recipients,
      headerVersion: header.v,
      groups,
      meta: header.meta,
    },
  };
}

/** Checks form and the sender signature without opening; relays use this. */
export function verifyEnvelope(
  bytes: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): VerifiedEnvelope {
  return parse(bytes, backend).verified;
}

/** Every share `key` can unwrap, with its group (v1: one per recipient, so at most one). */
async function unwrapAll(
  parsed: Parsed,
  key: AgreementKeyPair,
): Promise<{ group: number; share: Uint8Array }[]> {
  const out: { group: number; share: Uint8Array }[] = [];
  const n = parsed.verified.groups.length;
  for (const entry of parsed.entries) {
    if (!constantTimeEqual(entry.key, key.publicKey)) continue;
    const v2 = parsed.version === 2;
    try {
      const share = await hpkeOpen(key.privateKey, entry.enc, entry.wrapped, {
        info: v2 ? groupWrapInfo : wrapInfo,
        aad: v2 ? groupWrapAad(parsed.nonce, parsed.t, n, entry.group) : wrapAad(parsed.nonce, parsed.t),
      });
      out.push({ group: entry.group, share });
    } catch (cause) {
      throw new KithError(
        'ENVELOPE_WRONG_KEY',
        'The private key does not match the recipient key it claims.',
        {
          cause,
        },
      );
    }
  }
  return out;
}

/**
 * One recipient's unwrapped share (t ≥ 2) or content key (t = 1); for header v2, the share of
 * the first group that holds the key. The active-retrieval flow (DESIGN §5) re-seals this to
 * the requesting device rather than ever opening the body.
 */
export async function unwrapShare(
  bytes: Uint8Array,
  key: AgreementKeyPair,
  backend: CryptoBackend = defaultBackend(),
): Promise<Uint8Array> {
  const [first] = await unwrapAll(parse(bytes, backend), key);
  if (!first) throw new KithError('ENVELOPE_WRONG_KEY');
  return first.share;
}

/** Every share a key holds, with its group index (header v2 may give one key several groups). */
export async function unwrapShares(
  bytes: Uint8Array,
  key: AgreementKeyPair,
  backend: CryptoBackend = defaultBackend(),
): Promise<{ group: number; share: Uint8Array }[]> {
  const shares = await unwrapAll(parse(bytes, backend), key);
  if (shares.length === 0) throw new KithError('ENVELOPE_WRONG_KEY');
  return shares;
}

export interface OpenOptions {
  /** This holder's own keys; each that is a recipient contributes its share(s). */
  keys: AgreementKeyPair[];
  /** Shares unwrapped by other holders and handed over (t ≥ 2). */
  shares?: Uint8Array[];
  backend?: CryptoBackend;
}

export async function openEnvelope(bytes: Uint8Array, options: OpenOptions): Promise<OpenedEnvelope> {
  const backend = options.backend ?? defaultBackend();
  const parsed = parse(bytes, backend);
  const { outer, verified } = parsed;
  const own: Uint8Array[] = [];
  for (const key of options.keys) for (const { share } of await unwrapAll(parsed, key)) own.push(share);
  const shares = [...own, ...(options.shares ?? [])];
  if (shares.length === 0) throw new KithError('ENVELOPE_WRONG_KEY');
  let contentKey: Uint8Array;
  if (parsed.t === 1) {
    contentKey = shares[0]!;
  } else {
    const distinct = shares.filter((s, i) => shares.findIndex((o) => constantTimeEqual(o, s)) === i);
    if (distinct.length < parsed.t) {
      throw new KithError(
        'ENVELOPE_TOO_FEW_SHARES',
        `It needs ${parsed.t} shares; ${distinct.length} available.`,
      );
    }
    try {
      contentKey = await combineShares(distinct);
    } catch (cause) {
      throw new KithError('ENVELOPE_WRONG_KEY', 'The shares do not fit together.', { cause });
    }
  }
  let plaintext: Uint8Array;
  try {
    plaintext = backend.xchacha20poly1305Open(contentKey, parsed.nonce, outer.body, outer.header);
  } catch (cause) {
    throw new KithError('ENVELOPE_WRONG_KEY', 'The key shares given do not open this envelope.', { cause });
  }
  return { ...verified, plaintext };
}
