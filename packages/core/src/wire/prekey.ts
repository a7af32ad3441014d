import { Type } from '@sinclair/typebox';
import { defaultBackend } from '../crypto/index.ts';
import type { CryptoBackend } from '../crypto/backend.ts';
import { KithError } from '../errors.ts';
import { SIG } from '../labels.ts';
import { defineSignedFormat } from '../signed-format.ts';
import { defineMessage } from './message.ts';

/**
 * A device prekey (docs/SECURITY.md "Forward secrecy"): a medium-term X25519 key the device
 * makes, signs with its device signing key and publishes over its links to its own devices and
 * friends. Epoch keys are sealed to it instead of the device's long-term agreement key, and the
 * device erases its private half on the schedule, so a device taken later cannot open epoch
 * keys sent under it. `expiresAt`: senders stop sealing to it then (the owner has rotated well
 * before); `device` is the signer's device id, whose certified signing key must verify it.
 */
export const DevicePrekeyFormat = defineSignedFormat(
  'device-prekey',
  1,
  256,
  Type.Object(
    {
      v: Type.Literal(1),
      device: Type.String({ minLength: 1, maxLength: 80 }),
      key: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
      createdAt: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
      expiresAt: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    },
    { additionalProperties: false },
  ),
  SIG.DEVICE_PREKEY,
);

export interface DevicePrekey {
  device: string;
  key: Uint8Array;
  createdAt: number;
  expiresAt: number;
}

export function signDevicePrekey(
  prekey: DevicePrekey,
  signingSeed: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): Uint8Array {
  if (prekey.expiresAt <= prekey.createdAt)
    throw new KithError('INVALID_INPUT', 'A prekey must expire after it is made.');
  return DevicePrekeyFormat.sign({ v: 1, ...prekey }, signingSeed, backend);
}

/** Decodes a signed prekey and checks it names `device` and verifies under its signing key. */
export function verifyDevicePrekey(
  bytes: Uint8Array,
  device: string,
  signingKey: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): DevicePrekey {
  const opened = DevicePrekeyFormat.open(bytes, () => signingKey, backend);
  if (!opened.verified || opened.value.device !== device || opened.value.expiresAt <= opened.value.createdAt)
    throw new KithError('PREKEY_INVALID');
  const { v: _v, ...prekey } = opened.value;
  return prekey;
}

/**
 * A device's current prekeys, sent on every link to its own devices and friends when the link
 * comes up and again when it rotates; the receiver keeps the newest valid one per device.
 */
export const PrekeyMessage = defineMessage('prekey', 1, 1024, {
  prekeys: Type.Array(Type.Uint8Array({ maxByteLength: 384 }), { minItems: 1, maxItems: 2 }),
});
