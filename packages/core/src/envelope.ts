/**
 * The envelope (docs/DESIGN.md §5): the one encryption format of Kith.
 *
 *   header  = canonical CBOR { v: 3, kind, sender, createdAt, t, nonce, groups[][], meta }
 *   body    = XChaCha20-Poly1305(contentKey, nonce, plaintext, aad = header bytes)
 *   wraps   = the content key split t-of-n with Shamir over the n groups (t = 1: each group's
 *             "share" is the content key); every key in group i gets share i, HPKE-sealed with
 *             info KDF.ENVELOPE_WRAP_BOUND, aad = wrapContext(header) || i: bound to this body,
 *             this sender, kind, time, meta and every recipient key (envelope-header.ts).
 *   sig     = Ed25519 by the sender device over label SIG.ENVELOPE || header || SHA-256(body)
 *   id      = SHA-256(label HASH.ENVELOPE_ID || envelope bytes)
 *
 * "Any device of the owner plus the holder" is one 2-of-2 split with many keys on each side;
 * plain recipients are groups of one key. Headers v1 (recipients) and v2 (share groups, wraps
 * bound to their place only) are still read and opened, never written (docs/PROTOCOL.md
 * "Envelope"). The outer envelope and the signature are the same for every header version.
 *
 * Limits: body ≤ 4 MiB of plaintext, 1–255 recipient keys over all groups, meta ≤ 4 KiB.
 */
import { Type } from '@sinclair/typebox';
import type { CryptoBackend, RandomSource } from './crypto/backend.ts';
import { hpkeOpen, hpkeSeal } from './crypto/hpke.ts';
import { concatBytes, constantTimeEqual, defaultBackend } from './crypto/index.ts';
import { combineShares, splitSecret } from './crypto/shamir.ts';
import {
  decodeHeader,
  ENVELOPE_MAX_META,
  ENVELOPE_MAX_RECIPIENTS,
  HEADER_MAX,
  HeaderV3Format,
  WRAP_INFO,
  wrapAadV1,
  wrapAadV2,
  wrapAadV3,
  wrapContext,
} from './envelope-header.ts';
import { KithError, isKithError } from './errors.ts';
import { defineFormat } from './format.ts';
import type { AgreementKeyPair, SigningKeyPair } from './identity/derive.ts';
import { HASH, SIG, frameWithLabel } from './labels.ts';
import { signWithLabel, verifyWithLabel } from './signing.ts';

export { ENVELOPE_MAX_META, ENVELOPE_MAX_RECIPIENTS };
export const ENVELOPE_MAX_PLAINTEXT = 4 * 1024 * 1024;

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

/** One share (or the content key) per recipient key: one group of one key per recipient. */
export interface SealToRecipients extends SealCommon {
  /** Recipient X25519 public keys, each a different key. */
  recipients: Uint8Array[];
  shareGroups?: undefined;
  /** Shares needed to open; 1 means any recipient reads. */
  threshold: number;
}

/** One share per group, given to every key of the group. */
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
  /** Every recipient key, each once (over all groups, in group order). */
  readonly recipients: readonly Uint8Array[];
  /**
   * 1: a share per recipient; 2: share groups; 3: share groups with every wrap bound to the
   * whole header (envelope-header.ts). Only 3 is written.
   */
  readonly headerVersion: 1 | 2 | 3;
  /** The share groups (v1: one group per recipient). */
  readonly groups: readonly (readonly Uint8Array[])[];
  readonly meta: Uint8Array;
}

export interface OpenedEnvelope extends VerifiedEnvelope {
  readonly plaintext: Uint8Array;
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

/** Seals header v3: the content key split t-of-n over the groups, each wrap bound to the header. */
export async function sealEnvelope(options: SealOptions): Promise<Uint8Array> {
  const backend = options.backend ?? defaultBackend();
  if (options.plaintext.length > ENVELOPE_MAX_PLAINTEXT) {
    throw new KithError('ENVELOPE_TOO_LARGE', `The body may be at most ${ENVELOPE_MAX_PLAINTEXT} bytes.`);
  }
  let groups: Uint8Array[][];
  if (options.shareGroups !== undefined) {
    groups = options.shareGroups;
    const total = groups.reduce((sum, g) => sum + g.length, 0);
    if (groups.length < 1 || groups.some((g) => g.length < 1) || total > ENVELOPE_MAX_RECIPIENTS) {
      throw new KithError(
        'INVALID_INPUT',
        `An envelope has 1 or more non-empty share groups with at most ${ENVELOPE_MAX_RECIPIENTS} keys in all.`,
      );
    }
    for (const g of groups) assertDistinct(g, 'in a share group');
  } else {
    const { recipients } = options;
    if (recipients.length < 1 || recipients.length > ENVELOPE_MAX_RECIPIENTS) {
      throw new KithError('INVALID_INPUT', `An envelope has 1 to ${ENVELOPE_MAX_RECIPIENTS} recipients.`);
    }
    assertDistinct(recipients, '');
    groups = recipients.map((key) => [key]);
  }
  const t = options.threshold;
  if (!Number.isInteger(t) || t < 1 || t > groups.length) throw new KithError('ENVELOPE_BAD_THRESHOLD');
  const contentKey = options.random(32);
  const nonce = options.random(24);
  const meta = options.meta ?? new Uint8Array(0);
  const fields = {
    kind: options.kind,
    sender: options.sender.publicKey,
    createdAt: options.createdAt,
    t,
    nonce,
    meta,
  };
  const context = wrapContext({ ...fields, groups }, backend);
  const secrets = t === 1 ? groups.map(() => contentKey) : await splitSecret(contentKey, groups.length, t);
  const wrapped = [];
  // One at a time, so a seeded random source gives the same bytes every run.
  for (const [i, keys] of groups.entries()) {
    const group = [];
    for (const key of keys) {
      const { enc, ciphertext } = await hpkeSeal(key, secrets[i]!, {
        info: WRAP_INFO[3],
        aad: wrapAadV3(context, i),
        random: options.random,
      });
      group.push({ key, enc, wrapped: ciphertext });
    }
    wrapped.push(group);
  }
  const header = HeaderV3Format.encode({ v: 3, ...fields, groups: wrapped });
  const body = backend.xchacha20poly1305Seal(contentKey, nonce, options.plaintext, header);
  const sig = signWithLabel(
    SIG.ENVELOPE,
    concatBytes(header, backend.sha256(body)),
    options.sender.seed,
    backend,
  );
  return EnvelopeFormat.encode({ v: 1, header, body, sig });
}

export function envelopeId(bytes: Uint8Array, backend: CryptoBackend = defaultBackend()): Uint8Array {
  return backend.sha256(frameWithLabel(HASH.ENVELOPE_ID, bytes));
}

/** One wrapped share as every header version carries it, with the group it belongs to. */
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
  entries: Entry[];
  /** HPKE info and aad of the wrap of group i. */
  info: Uint8Array;
  aad: (group: number) => Uint8Array;
  verified: VerifiedEnvelope;
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
  if (header.v === 1) {
    entries = header.recipients.map((w, group) => ({ ...w, group }));
    groups = header.recipients.map((w) => [w.key]);
  } else {
    entries = header.groups.flatMap((g, group) => g.map((w) => ({ ...w, group })));
    groups = header.groups.map((g) => g.map((w) => w.key));
  }
  const n = groups.length;
  let aad: Parsed['aad'];
  if (header.v === 3) {
    const context = wrapContext({ ...header, groups }, backend);
    aad = (i) => wrapAadV3(context, i);
  } else if (header.v === 2) {
    aad = (i) => wrapAadV2(header.nonce, header.t, n, i);
  } else {
    aad = () => wrapAadV1(header.nonce, header.t);
  }
  const recipients: Uint8Array[] = [];
  for (const e of entries) if (!recipients.some((k) => constantTimeEqual(k, e.key))) recipients.push(e.key);
  return {
    outer,
    nonce: header.nonce,
    t: header.t,
    entries,
    info: WRAP_INFO[header.v],
    aad,
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
  for (const entry of parsed.entries) {
    if (!constantTimeEqual(entry.key, key.publicKey)) continue;
    try {
      const share = await hpkeOpen(key.privateKey, entry.enc, entry.wrapped, {
        info: parsed.info,
        aad: parsed.aad(entry.group),
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
 * the first group that holds the key. The active-retrieval flow (docs/DESIGN.md §5) re-seals this to
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
