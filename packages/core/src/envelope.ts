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
 * Limits: body ≤ 4 MiB of plaintext, 1–255 recipients, meta ≤ 4 KiB.
 */
import { Type } from '@sinclair/typebox';
import type { CryptoBackend, RandomSource } from './crypto/backend.ts';
import { hpkeOpen, hpkeSeal } from './crypto/hpke.ts';
import { concatBytes, constantTimeEqual, defaultBackend, utf8 } from './crypto/index.ts';
import { combineShares, splitSecret } from './crypto/shamir.ts';
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

export interface SealOptions {
  /** What the body is (e.g. "message", "epoch-key", "archive"); authenticated, visible to relays. */
  kind: string;
  plaintext: Uint8Array;
  /** Recipient X25519 public keys, each a different key. */
  recipients: Uint8Array[];
  /** Shares needed to open; 1 means any recipient reads. */
  threshold: number;
  sender: SigningKeyPair;
  createdAt: number;
  /** Authenticated, unencrypted routing data. */
  meta?: Uint8Array;
  random: RandomSource;
  backend?: CryptoBackend;
}

export interface VerifiedEnvelope {
  readonly id: Uint8Array;
  readonly kind: string;
  readonly sender: Uint8Array;
  readonly createdAt: number;
  readonly threshold: number;
  readonly recipients: readonly Uint8Array[];
  readonly meta: Uint8Array;
}

export interface OpenedEnvelope extends VerifiedEnvelope {
  readonly plaintext: Uint8Array;
}

function wrapAad(nonce: Uint8Array, t: number): Uint8Array {
  return concatBytes(nonce, Uint8Array.of(t));
}

const wrapInfo = utf8.encode(KDF.ENVELOPE_WRAP);

export async function sealEnvelope(options: SealOptions): Promise<Uint8Array> {
  const backend = options.backend ?? defaultBackend();
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

interface Parsed {
  outer: ReturnType<typeof EnvelopeFormat.decode>;
  header: ReturnType<typeof HeaderFormat.decode>;
  verified: VerifiedEnvelope;
}

function parse(bytes: Uint8Array, backend: CryptoBackend): Parsed {
  let outer: Parsed['outer'];
  let header: Parsed['header'];
  try {
    outer = EnvelopeFormat.decode(bytes);
    header = HeaderFormat.decode(outer.header);
  } catch (cause) {
    if (isKithError(cause, 'CODEC_OVERSIZE')) throw new KithError('ENVELOPE_TOO_LARGE', undefined, { cause });
    throw new KithError('ENVELOPE_TAMPERED', 'It is not a well-formed envelope.', { cause });
  }
  const signed = concatBytes(outer.header, backend.sha256(outer.body));
  if (!verifyWithLabel(SIG.ENVELOPE, outer.sig, signed, header.sender, backend)) {
    throw new KithError('ENVELOPE_TAMPERED', 'The sender signature does not verify.');
  }
  return {
    outer,
    header,
    verified: {
      id: envelopeId(bytes, backend),
      kind: header.kind,
      sender: header.sender,
      createdAt: header.createdAt,
      threshold: header.t,
      recipients: header.recipients.map((r) => r.key),
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

async function unwrapWith(header: Parsed['header'], key: AgreementKeyPair): Promise<Uint8Array | undefined> {
  const entry = header.recipients.find((r) => constantTimeEqual(r.key, key.publicKey));
  if (!entry) return undefined;
  try {
    return await hpkeOpen(key.privateKey, entry.enc, entry.wrapped, {
      info: wrapInfo,
      aad: wrapAad(header.nonce, header.t),
    });
  } catch (cause) {
    throw new KithError('ENVELOPE_WRONG_KEY', 'The private key does not match the recipient key it claims.', {
      cause,
    });
  }
}

/**
 * One recipient's unwrapped share (t ≥ 2) or content key (t = 1). The active-retrieval flow
 * (DESIGN §5) re-seals this to the requesting device rather than ever opening the body.
 */
export async function unwrapShare(
  bytes: Uint8Array,
  key: AgreementKeyPair,
  backend: CryptoBackend = defaultBackend(),
): Promise<Uint8Array> {
  const { header } = parse(bytes, backend);
  const share = await unwrapWith(header, key);
  if (!share) throw new KithError('ENVELOPE_WRONG_KEY');
  return share;
}

export interface OpenOptions {
  /** This holder's own keys; each that is a recipient contributes its share. */
  keys: AgreementKeyPair[];
  /** Shares unwrapped by other holders and handed over (t ≥ 2). */
  shares?: Uint8Array[];
  backend?: CryptoBackend;
}

export async function openEnvelope(bytes: Uint8Array, options: OpenOptions): Promise<OpenedEnvelope> {
  const backend = options.backend ?? defaultBackend();
  const { outer, header, verified } = parse(bytes, backend);
  const own: Uint8Array[] = [];
  for (const key of options.keys) {
    const share = await unwrapWith(header, key);
    if (share) own.push(share);
  }
  const shares = [...own, ...(options.shares ?? [])];
  if (shares.length === 0) throw new KithError('ENVELOPE_WRONG_KEY');
  let contentKey: Uint8Array;
  if (header.t === 1) {
    contentKey = shares[0]!;
  } else {
    const distinct = shares.filter((s, i) => shares.findIndex((o) => constantTimeEqual(o, s)) === i);
    if (distinct.length < header.t) {
      throw new KithError(
        'ENVELOPE_TOO_FEW_SHARES',
        `It needs ${header.t} shares; ${distinct.length} available.`,
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
    plaintext = backend.xchacha20poly1305Open(contentKey, header.nonce, outer.body, outer.header);
  } catch (cause) {
    throw new KithError('ENVELOPE_WRONG_KEY', 'The key shares given do not open this envelope.', { cause });
  }
  return { ...verified, plaintext };
}
