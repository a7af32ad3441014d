/**
 * Device certificate (docs/DESIGN.md §2, §4): the root key vouches for one device's signing and
 * agreement keys at one device index. Format v1, canonical CBOR, signed under SIG.DEVICE_CERT.
 */
import { Type } from '@sinclair/typebox';
import type { CryptoBackend } from '../crypto/backend.ts';
import { defaultBackend } from '../crypto/index.ts';
import { KithError } from '../errors.ts';
import { defineSignedFormat } from '../signed-format.ts';
import { type DeviceId, deviceIdFromSigningKey, type UserId, userIdFromRootKey } from '../ids.ts';
import { SIG } from '../labels.ts';
import type { DeviceKeys, RootKeys } from './derive.ts';

const Key32 = Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 });

export const DeviceCertificateFormat = defineSignedFormat(
  'device-certificate',
  1,
  512,
  Type.Object(
    {
      v: Type.Literal(1),
      root: Key32,
      index: Type.Integer({ minimum: 0, maximum: 0x7fffffff }),
      signingKey: Key32,
      agreementKey: Key32,
      name: Type.String({ maxLength: 64 }),
      issuedAt: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
  SIG.DEVICE_CERT,
);

export interface DeviceCertificate {
  readonly userId: UserId;
  readonly deviceId: DeviceId;
  readonly rootKey: Uint8Array;
  readonly index: number;
  readonly signingKey: Uint8Array;
  readonly agreementKey: Uint8Array;
  readonly name: string;
  readonly issuedAt: number;
  /** The signed bytes, as carried in the identity log and handshakes. */
  readonly bytes: Uint8Array;
}

export function issueDeviceCertificate(
  root: RootKeys,
  device: DeviceKeys,
  options: { name: string; issuedAt: number },
  backend: CryptoBackend = defaultBackend(),
): Uint8Array {
  return DeviceCertificateFormat.sign(
    {
      v: 1,
      root: root.root.publicKey,
      index: device.index,
      signingKey: device.signing.publicKey,
      agreementKey: device.agreement.publicKey,
      name: options.name,
      issuedAt: options.issuedAt,
    },
    root.root.seed,
    backend,
  );
}

/** Decodes and verifies against the root key inside it; callers check that root is the user they expect. */
export function verifyDeviceCertificate(
  bytes: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): DeviceCertificate {
  const { value: body, verified } = DeviceCertificateFormat.open(bytes, (b) => b.root, backend);
  if (!verified) {
    throw new KithError('CERT_INVALID', 'Its signature does not verify under the root key.');
  }
  return {
    userId: userIdFromRootKey(body.root, backend),
    deviceId: deviceIdFromSigningKey(body.signingKey, backend),
    rootKey: body.root,
    index: body.index,
    signingKey: body.signingKey,
    agreementKey: body.agreementKey,
    name: body.name,
    issuedAt: body.issuedAt,
    bytes,
  };
}
