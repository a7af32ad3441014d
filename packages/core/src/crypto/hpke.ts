/**
 * HPKE (RFC 9180) for wrapping envelope keys to recipients (docs/DESIGN.md §5): DHKEM(X25519,
 * HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, through @hpke/core with the
 * @hpke/dhkem-x25519 and @hpke/chacha20poly1305 extensions.
 *
 * Randomness: the ephemeral key comes from `options.random` when given (32 bytes of input
 * keying material through DeriveKeyPair, RFC 9180 §7.1.3), so callers that inject randomness
 * get a fully deterministic seal. Without it, @hpke generates the ephemeral key from
 * WebCrypto's `crypto.getRandomValues`: the one place core touches a global random source
 * (docs/SECURITY.md, "Cryptographic primitives").
 */
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { CipherSuite, HkdfSha256 } from '@hpke/core';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import { KithError } from '../errors.ts';
import type { RandomSource } from './backend.ts';
import { assertLength } from './bytes.ts';

export interface HpkeOptions {
  /** Application info bound into the key schedule (RFC 9180 §5.1), e.g. a KDF label. */
  info?: Uint8Array;
  /** Additional authenticated data of the one message sealed. */
  aad?: Uint8Array;
  /** Source of the ephemeral key's 32 bytes of keying material; see the module comment. */
  random?: RandomSource;
}

export interface HpkeSealed {
  /** The encapsulated ephemeral public key (32 bytes). */
  enc: Uint8Array;
  /** AEAD ciphertext || 16-byte tag. */
  ciphertext: Uint8Array;
}

export interface HpkeKeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Key-schedule inputs beyond base mode (RFC 9180 §5.1): PSK and/or sender authentication. */
export interface HpkeSetup {
  info?: Uint8Array;
  /** PSK mode (with `senderPrivateKey`: AuthPSK mode). */
  psk?: { id: Uint8Array; key: Uint8Array };
  /** Auth mode: the sender's static X25519 private key. */
  senderPrivateKey?: Uint8Array;
  /** Deterministic ephemeral key: DeriveKeyPair(ikmE). For vectors and injected randomness. */
  ikmE?: Uint8Array;
}

export interface HpkeRecipientSetup {
  info?: Uint8Array;
  psk?: { id: Uint8Array; key: Uint8Array };
  /** Auth mode: the sender's static X25519 public key. */
  senderPublicKey?: Uint8Array;
}

/** A sender context: messages sealed in order use sequence numbers 0, 1, 2, … */
export interface HpkeSenderContext {
  readonly enc: Uint8Array;
  seal(plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  /** Secret export (RFC 9180 §5.3). */
  export(exporterContext: Uint8Array, length: number): Promise<Uint8Array>;
}

export interface HpkeRecipientContext {
  /** Throws CRYPTO_DECRYPT_FAILED. */
  open(ciphertext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  export(exporterContext: Uint8Array, length: number): Promise<Uint8Array>;
}

const IKM_LENGTH = 32;
const EMPTY = new Uint8Array(0);

let suite: CipherSuite | undefined;

/** The one HPKE suite Kith uses, built on first use (never at import). */
export function hpkeSuite(): CipherSuite {
  suite ??= new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: new Chacha20Poly1305(),
  });
  return suite;
}

function bytes(buffer: ArrayBuffer): Uint8Array {
  return new Uint8Array(buffer);
}

/** @hpke's key handle (a WebCrypto CryptoKey shape; core's lib has no DOM types). */
type HpkeKey = Awaited<ReturnType<CipherSuite['kem']['deserializePublicKey']>>;

async function importPublic(publicKey: Uint8Array, what: string): Promise<HpkeKey> {
  assertLength(publicKey, 32, what);
  return hpkeSuite().kem.deserializePublicKey(publicKey);
}

async function importPrivate(privateKey: Uint8Array, what: string): Promise<HpkeKey> {
  assertLength(privateKey, 32, what);
  return hpkeSuite().kem.deserializePrivateKey(privateKey);
}

/** RFC 9180 §5.1.2 and §9.5: a PSK must carry at least 32 bytes of entropy. */
function assertPsk(psk: { id: Uint8Array; key: Uint8Array } | undefined): void {
  if (psk && (psk.key.length < 32 || psk.id.length === 0)) {
    throw new KithError(
      'CRYPTO_BAD_KEY',
      'An HPKE pre-shared key needs at least 32 bytes and a non-empty id.',
    );
  }
}

/** RFC 9180 §7.1.3 DeriveKeyPair: the X25519 key pair HPKE derives from keying material. */
export async function hpkeDeriveKeyPair(ikm: Uint8Array): Promise<HpkeKeyPair> {
  const kem = hpkeSuite().kem;
  const pair = await kem.deriveKeyPair(ikm);
  return {
    privateKey: bytes(await kem.serializePrivateKey(pair.privateKey)),
    publicKey: bytes(await kem.serializePublicKey(pair.publicKey)),
  };
}

/** SetupBaseS / SetupPSKS / SetupAuthS / SetupAuthPSKS (RFC 9180 §5.1), chosen by `setup`. */
export async function hpkeSetupSender(
  recipientPublicKey: Uint8Array,
  setup: HpkeSetup = {},
): Promise<HpkeSenderContext> {
  const recipient = await importPublic(recipientPublicKey, 'HPKE recipient public key');
  assertPsk(setup.psk);
  const senderKey =
    setup.senderPrivateKey && (await importPrivate(setup.senderPrivateKey, 'HPKE sender private key'));
  let context: Awaited<ReturnType<CipherSuite['createSenderContext']>>;
  try {
    context = await hpkeSuite().createSenderContext({
      recipientPublicKey: recipient,
      info: setup.info ?? EMPTY,
      ...(setup.psk && { psk: setup.psk }),
      ...(senderKey && { senderKey }),
      // RFC 9180 §7.1.3: an ephemeral key derived from fresh ikm is as good as a generated one.
      ...(setup.ikmE && { ekm: setup.ikmE }),
    });
  } catch (cause) {
    // A low-order recipient key gives an all-zero DH output, which the KEM refuses.
    throw new KithError('CRYPTO_BAD_KEY', 'The HPKE recipient public key cannot be used.', { cause });
  }
  return {
    enc: bytes(context.enc),
    seal: async (plaintext, aad) => bytes(await context.seal(plaintext, aad ?? EMPTY)),
    export: async (exporterContext, length) => bytes(await context.export(exporterContext, length)),
  };
}

/** SetupBaseR / SetupPSKR / SetupAuthR / SetupAuthPSKR (RFC 9180 §5.1). */
export async function hpkeSetupRecipient(
  recipientPrivateKey: Uint8Array,
  enc: Uint8Array,
  setup: HpkeRecipientSetup = {},
): Promise<HpkeRecipientContext> {
  const recipientKey = await importPrivate(recipientPrivateKey, 'HPKE recipient private key');
  assertPsk(setup.psk);
  const senderPublicKey =
    setup.senderPublicKey && (await importPublic(setup.senderPublicKey, 'HPKE sender public key'));
  let context: Awaited<ReturnType<CipherSuite['createRecipientContext']>>;
  try {
    context = await hpkeSuite().createRecipientContext({
      recipientKey,
      enc,
      info: setup.info ?? EMPTY,
      ...(setup.psk && { psk: setup.psk }),
      ...(senderPublicKey && { senderPublicKey }),
    });
  } catch (cause) {
    throw new KithError('CRYPTO_DECRYPT_FAILED', undefined, { cause });
  }
  return {
    async open(ciphertext, aad) {
      try {
        return bytes(await context.open(ciphertext, aad ?? EMPTY));
      } catch (cause) {
        throw new KithError('CRYPTO_DECRYPT_FAILED', undefined, { cause });
      }
    },
    export: async (exporterContext, length) => bytes(await context.export(exporterContext, length)),
  };
}

/** Single-shot base-mode seal (RFC 9180 §6.1) of one message to one recipient key. */
export async function hpkeSeal(
  recipientPublicKey: Uint8Array,
  plaintext: Uint8Array,
  options: HpkeOptions = {},
): Promise<HpkeSealed> {
  let ikmE: Uint8Array | undefined;
  if (options.random) {
    ikmE = options.random(IKM_LENGTH);
    assertLength(ikmE, IKM_LENGTH, 'HPKE ephemeral keying material');
  }
  try {
    const sender = await hpkeSetupSender(recipientPublicKey, {
      ...(options.info && { info: options.info }),
      ...(ikmE && { ikmE }),
    });
    return { enc: sender.enc, ciphertext: await sender.seal(plaintext, options.aad) };
  } finally {
    ikmE?.fill(0);
  }
}

/** Single-shot base-mode open. Throws CRYPTO_DECRYPT_FAILED on any tampering or wrong key. */
export async function hpkeOpen(
  recipientPrivateKey: Uint8Array,
  enc: Uint8Array,
  ciphertext: Uint8Array,
  options: Omit<HpkeOptions, 'random'> = {},
): Promise<Uint8Array> {
  const recipient = await hpkeSetupRecipient(
    recipientPrivateKey,
    enc,
    options.info ? { info: options.info } : {},
  );
  return recipient.open(ciphertext, options.aad);
}
