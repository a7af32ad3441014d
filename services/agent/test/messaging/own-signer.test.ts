/**
 * The agent's own-key signer (messaging/own-signer.ts) gives the same Ed25519 signatures as the
 * backend it wraps (RFC 8032 test 1, then any message) and leaves other seeds to the backend.
 */
import { fromHex, nobleBackend, toHex } from '@kith/core/crypto/index';
import { nativeBackend } from '@kith/core/crypto/native';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ownSigningBackend } from '../../src/messaging/own-signer.ts';

const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const RFC8032_TEST1_SIG =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

describe('own signing backend', () => {
  it('signs the RFC 8032 test 1 vector with the prebuilt key', () => {
    const b = ownSigningBackend(seed, nativeBackend);
    expect(b).not.toBe(nativeBackend);
    expect(toHex(b.ed25519Sign(new Uint8Array(0), seed))).toBe(RFC8032_TEST1_SIG);
  });

  it('matches the plain backend for its own seed and for any other (property)', () => {
    const b = ownSigningBackend(seed, nativeBackend);
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (msg, other) => {
          expect(toHex(b.ed25519Sign(msg, seed))).toBe(toHex(nativeBackend.ed25519Sign(msg, seed)));
          expect(toHex(b.ed25519Sign(msg, other))).toBe(toHex(nativeBackend.ed25519Sign(msg, other)));
          // A copy of the seed is not "this device's seed" by identity, and still signs the same.
          expect(toHex(b.ed25519Sign(msg, seed.slice()))).toBe(toHex(nativeBackend.ed25519Sign(msg, seed)));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('leaves a non-native backend as it is', () => {
    expect(ownSigningBackend(seed, nobleBackend)).toBe(nobleBackend);
  });
});
