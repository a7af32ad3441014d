/**
 * Envelopes the library no longer writes, for tests: header v1/v2 (sealed exactly as the code
 * of those versions did, so their committed fixtures still reproduce), and a hostile reader's
 * re-signed copy of someone else's envelope (its wraps kept, header fields changed).
 */
import { decodeCanonical, encodeCanonical, type CanonicalValue } from '../../src/codec.ts';
import type { CryptoBackend, RandomSource } from '../../src/crypto/backend.ts';
import { hpkeSeal } from '../../src/crypto/hpke.ts';
import { concatBytes, nobleBackend, utf8 } from '../../src/crypto/index.ts';
import { splitSecret } from '../../src/crypto/shamir.ts';
import { EnvelopeFormat } from '../../src/envelope.ts';
import type { SigningKeyPair } from '../../src/identity/derive.ts';
import { SIG } from '../../src/labels.ts';
import { signWithLabel } from '../../src/signing.ts';

// Written out here (not imported) so this helper also runs against code from before header v3.
const WRAP_INFO_V1 = utf8.encode('kith/v1/hpke/envelope-wrap');
const WRAP_INFO_V2 = utf8.encode('kith/v1/hpke/envelope-wrap-group');

/** A decoded header of any version, as plain canonical data. */
export type AnyHeader = { [key: string]: CanonicalValue } & { v: number; sender: Uint8Array };

export interface LegacySealOptions {
  kind: string;
  plaintext: Uint8Array;
  sender: SigningKeyPair;
  createdAt: number;
  meta?: Uint8Array;
  threshold: number;
  random: RandomSource;
  backend?: CryptoBackend;
  /** v1: recipient keys; v2: share groups. */
  recipients?: Uint8Array[];
  shareGroups?: Uint8Array[][];
}

function sign(header: Uint8Array, body: Uint8Array, sender: SigningKeyPair, backend: CryptoBackend) {
  const sig = signWithLabel(SIG.ENVELOPE, concatBytes(header, backend.sha256(body)), sender.seed, backend);
  return EnvelopeFormat.encode({ v: 1, header, body, sig });
}

/** Header v1 (`recipients`) or v2 (`shareGroups`), as sealEnvelope wrote them before v3. */
export async function sealLegacyEnvelope(options: LegacySealOptions): Promise<Uint8Array> {
  const backend = options.backend ?? nobleBackend;
  const t = options.threshold;
  const contentKey = options.random(32);
  const nonce = options.random(24);
  const meta = options.meta ?? new Uint8Array(0);
  const base = {
    kind: options.kind,
    sender: options.sender.publicKey,
    createdAt: options.createdAt,
    t,
    nonce,
  };
  let header: Uint8Array;
  if (options.shareGroups) {
    const groups = options.shareGroups;
    const n = groups.length;
    const secrets = t === 1 ? groups.map(() => contentKey) : await splitSecret(contentKey, n, t);
    const wrapped = await Promise.all(
      groups.map((keys, i) =>
        Promise.all(
          keys.map(async (key) => {
            const { enc, ciphertext } = await hpkeSeal(key, secrets[i]!, {
              info: WRAP_INFO_V2,
              aad: concatBytes(nonce, Uint8Array.of(t, n, i)),
              random: options.random,
            });
            return { key, enc, wrapped: ciphertext };
          }),
        ),
      ),
    );
    header = encodeCanonical({ v: 2, ...base, groups: wrapped, meta });
  } else {
    const recipients = options.recipients!;
    const secrets =
      t === 1 ? recipients.map(() => contentKey) : await splitSecret(contentKey, recipients.length, t);
    const wraps = await Promise.all(
      recipients.map(async (key, i) => {
        const { enc, ciphertext } = await hpkeSeal(key, secrets[i]!, {
          info: WRAP_INFO_V1,
          aad: concatBytes(nonce, Uint8Array.of(t)),
          random: options.random,
        });
        return { key, enc, wrapped: ciphertext };
      }),
    );
    header = encodeCanonical({ v: 1, ...base, recipients: wraps, meta });
  }
  const body = backend.xchacha20poly1305Seal(contentKey, nonce, options.plaintext, header);
  return sign(header, body, options.sender, backend);
}

/**
 * What a reader holding `bytes` can make of it: the same header (wraps included) with
 * `sender` set to its own key and any other field changed by `edit`, signed by itself. The
 * body is kept (the forger cannot re-encrypt it; only the wraps matter to the attack).
 */
export function reSignEnvelope<H extends AnyHeader = AnyHeader>(
  bytes: Uint8Array,
  signer: SigningKeyPair,
  edit: (header: H) => H = (h) => h,
  backend: CryptoBackend = nobleBackend,
): Uint8Array {
  const outer = EnvelopeFormat.decode(bytes);
  const decoded = decodeCanonical(outer.header) as H;
  const header = edit({ ...decoded, sender: signer.publicKey });
  return sign(encodeCanonical(header), outer.body, signer, backend);
}
