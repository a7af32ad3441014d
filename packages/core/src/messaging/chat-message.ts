/**
 * A chat message sealed under its sender's epoch key (docs/DESIGN.md §5, sender keys): per message the
 * sender makes one signature and one AEAD, each recipient one verification and one AEAD, and
 * relays none.
 *
 *   header = { v, conv, epoch, sender, sentAt, nonce }              (canonical CBOR, the AAD)
 *   key    = HKDF-SHA256(epochKey, salt = nonce, info = KDF.EPOCH_MESSAGE)
 *   ct     = XChaCha20-Poly1305(key, nonce, body, aad = header)
 *   sig    = Ed25519(sender device, SIG.CHAT_MESSAGE || header || SHA-256(ct))
 *   body   = canonical CBOR { t: "text", text } | { t: "conv", kind, bytes }  (a conversation item)
 */
import { Type } from '@sinclair/typebox';
import { decodeCanonical, encodeCanonical } from '../codec.ts';
import type { CryptoBackend, RandomSource } from '../crypto/backend.ts';
import { concatBytes, defaultBackend, utf8 } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
import { defineFormat } from '../format.ts';
import type { SigningKeyPair } from '../identity/derive.ts';
import { KDF, SIG } from '../labels.ts';
import { signWithLabel, verifyWithLabel } from '../signing.ts';

/** Largest message text (UTF-8 bytes). Links carry up to 4 MiB, so no chunking is needed. */
export const MESSAGE_MAX_TEXT = 1024 * 1024;

const HeaderFormat = defineFormat(
  'chat-message-header',
  1,
  512,
  Type.Object(
    {
      v: Type.Literal(1),
      conv: Type.String({ minLength: 1, maxLength: 80 }),
      epoch: Type.Uint8Array({ minByteLength: 16, maxByteLength: 16 }),
      sender: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
      sentAt: Type.Integer({ minimum: 0 }),
      nonce: Type.Uint8Array({ minByteLength: 24, maxByteLength: 24 }),
    },
    { additionalProperties: false },
  ),
);

export const ChatMessageFormat = defineFormat(
  'chat-message',
  1,
  MESSAGE_MAX_TEXT + 2048,
  Type.Object(
    {
      v: Type.Literal(1),
      header: Type.Uint8Array({ maxByteLength: 512 }),
      ct: Type.Uint8Array({ maxByteLength: MESSAGE_MAX_TEXT + 1024 }),
      sig: Type.Uint8Array({ minByteLength: 64, maxByteLength: 64 }),
    },
    { additionalProperties: false },
  ),
);

export type ChatBody =
  | { t: 'text'; text: string }
  | { t: 'conv'; kind: 'genesis' | 'event' | 'outcome'; bytes: Uint8Array };

export interface ChatHeader {
  conv: string;
  epoch: Uint8Array;
  sender: Uint8Array;
  sentAt: number;
}

function messageKey(epochKey: Uint8Array, nonce: Uint8Array, backend: CryptoBackend): Uint8Array {
  return backend.hkdfSha256(epochKey, nonce, utf8.encode(KDF.EPOCH_MESSAGE), 32);
}

export function sealChatMessage(
  options: {
    conv: string;
    epoch: Uint8Array;
    epochKey: Uint8Array;
    sender: SigningKeyPair;
    sentAt: number;
    body: ChatBody;
  },
  random: RandomSource,
  backend: CryptoBackend = defaultBackend(),
): Uint8Array {
  const body = encodeCanonical(options.body);
  if (body.length > MESSAGE_MAX_TEXT + 16) throw new KithError('MESSAGE_TOO_LARGE');
  const nonce = random(24);
  const header = HeaderFormat.encode({
    v: 1,
    conv: options.conv,
    epoch: options.epoch,
    sender: options.sender.publicKey,
    sentAt: options.sentAt,
    nonce,
  });
  const ct = backend.xchacha20poly1305Seal(messageKey(options.epochKey, nonce, backend), nonce, body, header);
  const sig = signWithLabel(
    SIG.CHAT_MESSAGE,
    concatBytes(header, backend.sha256(ct)),
    options.sender.seed,
    backend,
  );
  return ChatMessageFormat.encode({ v: 1, header, ct, sig });
}

/** Checks form and signature (no key needed): what a recipient does before storing. */
export function verifyChatMessage(bytes: Uint8Array, backend: CryptoBackend = defaultBackend()): ChatHeader {
  let outer: ReturnType<typeof ChatMessageFormat.decode>;
  let header: ReturnType<typeof HeaderFormat.decode>;
  try {
    outer = ChatMessageFormat.decode(bytes);
    header = HeaderFormat.decode(outer.header);
  } catch (cause) {
    throw new KithError('MESSAGE_INVALID', 'It is not a well-formed message.', { cause });
  }
  if (
    !verifyWithLabel(
      SIG.CHAT_MESSAGE,
      outer.sig,
      concatBytes(outer.header, backend.sha256(outer.ct)),
      header.sender,
      backend,
    )
  ) {
    throw new KithError('MESSAGE_INVALID', 'Its signature does not verify.');
  }
  return { conv: header.conv, epoch: header.epoch, sender: header.sender, sentAt: header.sentAt };
}

/** Checks the signature, then opens: what anyone holding only the bytes and the key calls. */
export function openChatMessage(
  bytes: Uint8Array,
  epochKey: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): ChatHeader & { body: ChatBody } {
  verifyChatMessage(bytes, backend);
  return openVerifiedChatMessage(bytes, epochKey, backend);
}

/**
 * Opens a message whose signature the caller has already checked with `verifyChatMessage`
 * (e.g. before storing it), so a recipient makes one verification per message (docs/DESIGN.md §5).
 * The AEAD still authenticates the header and body under the epoch key; only the sender's
 * signature is not checked again.
 */
export function openVerifiedChatMessage(
  bytes: Uint8Array,
  epochKey: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): ChatHeader & { body: ChatBody } {
  let outer: ReturnType<typeof ChatMessageFormat.decode>;
  let header: ReturnType<typeof HeaderFormat.decode>;
  try {
    outer = ChatMessageFormat.decode(bytes);
    header = HeaderFormat.decode(outer.header);
  } catch (cause) {
    throw new KithError('MESSAGE_INVALID', 'It is not a well-formed message.', { cause });
  }
  const h: ChatHeader = {
    conv: header.conv,
    epoch: header.epoch,
    sender: header.sender,
    sentAt: header.sentAt,
  };
  const body = backend.xchacha20poly1305Open(
    messageKey(epochKey, header.nonce, backend),
    header.nonce,
    outer.ct,
    outer.header,
  );
  const doc = decodeCanonical(body) as { t?: unknown; text?: unknown; kind?: unknown; bytes?: unknown };
  if (doc.t === 'text' && typeof doc.text === 'string') return { ...h, body: { t: 'text', text: doc.text } };
  if (
    doc.t === 'conv' &&
    (doc.kind === 'genesis' || doc.kind === 'event' || doc.kind === 'outcome') &&
    doc.bytes instanceof Uint8Array
  ) {
    return { ...h, body: { t: 'conv', kind: doc.kind, bytes: doc.bytes } };
  }
  throw new KithError('MESSAGE_INVALID', 'Its body has an unknown form.');
}
