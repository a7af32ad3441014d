/**
 * Writes vectors/kith-derivation-v1.json. Run once per format version:
 *   node --import tsx packages/core/test/identity/make-derivation-fixture.ts
 * A committed fixture is never regenerated in place (formats are versioned).
 */
import { writeFileSync } from 'node:fs';
import { toHex } from '../../src/crypto/bytes.ts';
import { nobleBackend } from '../../src/crypto/index.ts';
import { deriveDeviceKeys, deriveRootKeys } from '../../src/identity/derive.ts';
import { phraseToSeed } from '../../src/identity/phrase.ts';

const cases = [
  {
    phrase:
      'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art',
    passphrase: '',
  },
  {
    phrase:
      'legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title',
    passphrase: 'TREZOR',
  },
];

const out = cases.map(({ phrase, passphrase }) => {
  const seed = phraseToSeed(phrase, passphrase, nobleBackend);
  const root = deriveRootKeys(seed, nobleBackend);
  return {
    phrase,
    passphrase,
    seed: toHex(seed),
    userId: root.userId,
    rootPrivate: toHex(root.root.seed),
    rootPublic: toHex(root.root.publicKey),
    recoveryPrivate: toHex(root.recovery.privateKey),
    recoveryPublic: toHex(root.recovery.publicKey),
    devices: [0, 1, 7, 0x7fffffff].map((index) => {
      const d = deriveDeviceKeys(seed, index, nobleBackend);
      return {
        index,
        deviceId: d.deviceId,
        signingPrivate: toHex(d.signing.seed),
        signingPublic: toHex(d.signing.publicKey),
        agreementPrivate: toHex(d.agreement.privateKey),
        agreementPublic: toHex(d.agreement.publicKey),
      };
    }),
  };
});

writeFileSync(
  new URL('../vectors/kith-derivation-v1.json', import.meta.url),
  `${JSON.stringify({ format: 'kith-derivation-v1', source: 'packages/core/src/identity/derive.ts', cases: out }, null, 2)}\n`,
);
