/**
 * Fuzzing of the key material a friend's device sends (issue #17, docs/SECURITY.md "Fuzzing"):
 * device certificates (carried in identity logs and handshakes), signed prekeys (the `prekey`
 * wire message's items), and envelopes opened with a device's key (`openEnvelope`, and epoch
 * keys, `openEpochKey`, the envelope that carries a conversation's epoch key). A value or a
 * catalogued error, never a crash. Long mode: npm run fuzz -- --long
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { nobleBackend } from '../../src/crypto/index.ts';
import { openEnvelope, sealEnvelope } from '../../src/envelope.ts';
import { issueDeviceCertificate, verifyDeviceCertificate } from '../../src/identity/certificate.ts';
import {
  type AgreementKeyPair,
  deriveDeviceKeys,
  deriveRootKeys,
  type SigningKeyPair,
} from '../../src/identity/derive.ts';
import { openEpochKey, sealEpochKey } from '../../src/messaging/epoch-key.ts';
import { signDevicePrekey, verifyDevicePrekey } from '../../src/wire/prekey.ts';
import {
  fuzzAssert,
  decodesOrRefuses,
  decoderInput,
  deterministicBytes,
  FUZZ_TIMEOUT,
  params,
  rethrowUnlessCatalogued,
} from './harness.ts';

const backend = nobleBackend;
const random = deterministicBytes(7);
const seed = new Uint8Array(64).fill(3);
const root = deriveRootKeys(seed, backend);
const device = deriveDeviceKeys(seed, 0, backend);
const deviceId = 'bwwcj-x6s30-63kpz-cp8fe-trg9y';
const agreement = (fill: number): AgreementKeyPair => {
  const privateKey = new Uint8Array(32).fill(fill);
  return { privateKey, publicKey: backend.x25519PublicKey(privateKey) };
};
const sender: SigningKeyPair = (() => {
  const s = new Uint8Array(32).fill(9);
  return { seed: s, publicKey: backend.ed25519PublicKey(s) };
})();
const X = agreement(1);

const certificates = [
  issueDeviceCertificate(root, device, { name: 'phone', issuedAt: 1_700_000_000_000 }, backend),
];
const prekeys = [
  signDevicePrekey(
    { device: deviceId, key: agreement(2).publicKey, createdAt: 1, expiresAt: 2 },
    sender.seed,
    backend,
  ),
];
const epochKeys = [
  await sealEpochKey(
    { conv: 'conv-1', epoch: new Uint8Array(16).fill(4), key: new Uint8Array(32).fill(5) },
    [X.publicKey],
    sender,
    1_700_000_000_000,
    random,
  ),
];
const envelopes = [
  ...epochKeys,
  await sealEnvelope({
    kind: 'chat',
    plaintext: new Uint8Array([1, 2, 3]),
    recipients: [X.publicKey, agreement(6).publicKey],
    threshold: 1,
    sender,
    createdAt: 1_700_000_000_000,
    random,
    backend,
  }),
];

const prop = <T>(name: string, input: fc.Arbitrary<T>, decode: (x: T) => unknown, short = 1000) =>
  it(
    name,
    () => {
      fuzzAssert(
        fc.property(input, (x) => decodesOrRefuses(decode, x)),
        params(short),
      );
    },
    FUZZ_TIMEOUT,
  );
const asyncProp = <T>(name: string, input: fc.Arbitrary<T>, run: (x: T) => Promise<unknown>, short = 300) =>
  it(
    name,
    async () => {
      await fuzzAssert(
        fc.asyncProperty(input, async (x) => {
          try {
            await run(x);
          } catch (e) {
            rethrowUnlessCatalogued(e);
          }
        }),
        params(short),
      );
    },
    FUZZ_TIMEOUT,
  );

describe('fuzz: certificates, prekeys and opened envelopes give a value or a catalogued error', () => {
  prop('device certificates (verifyDeviceCertificate)', decoderInput(certificates, { v: 1 }), (b) =>
    verifyDeviceCertificate(b, backend),
  );
  prop('signed prekeys (verifyDevicePrekey)', decoderInput(prekeys, { v: 1 }), (b) =>
    verifyDevicePrekey(b, deviceId, sender.publicKey, backend),
  );
  asyncProp('envelopes opened with a device key (openEnvelope)', decoderInput(envelopes, { v: 3 }), (b) =>
    openEnvelope(b, { keys: [X], backend }),
  );
  asyncProp('epoch keys (openEpochKey)', decoderInput(epochKeys, { v: 3 }), (b) => openEpochKey(b, X));

  it('controls: the seeds themselves decode', async () => {
    verifyDeviceCertificate(certificates[0]!, backend);
    verifyDevicePrekey(prekeys[0]!, deviceId, sender.publicKey, backend);
    await openEpochKey(epochKeys[0]!, X);
    await openEnvelope(envelopes[1]!, { keys: [X], backend });
  });
});
