/**
 * Address record (DESIGN §6): where a device can be reached, signed by that device, with a
 * sequence number so the newest wins. Gossiped to the owner's devices and to friends.
 */
import { Type } from '@sinclair/typebox';
import type { CryptoBackend } from './crypto/backend.ts';
import { defaultBackend } from './crypto/index.ts';
import { KithError } from './errors.ts';
import { defineSignedFormat } from './signed-format.ts';
import { type DeviceId, deviceIdFromSigningKey } from './ids.ts';
import { SIG } from './labels.ts';

export const MAX_ADDRESSES = 8;
/** "host:port", IPv6 hosts in brackets. */
export const Address = Type.String({
  minLength: 3,
  maxLength: 80,
  pattern: '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$',
});

export const AddressRecordFormat = defineSignedFormat(
  'address-record',
  1,
  1024,
  Type.Object(
    {
      v: Type.Literal(1),
      device: Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 }),
      seq: Type.Integer({ minimum: 0 }),
      addresses: Type.Array(Address, { maxItems: MAX_ADDRESSES }),
      issuedAt: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
  SIG.ADDRESS_RECORD,
);

export interface AddressRecord {
  readonly deviceId: DeviceId;
  readonly signingKey: Uint8Array;
  readonly seq: number;
  readonly addresses: string[];
  readonly issuedAt: number;
  readonly bytes: Uint8Array;
}

export function signAddressRecord(
  device: { seed: Uint8Array; publicKey: Uint8Array },
  record: { seq: number; addresses: string[]; issuedAt: number },
  backend: CryptoBackend = defaultBackend(),
): Uint8Array {
  return AddressRecordFormat.sign({ v: 1, device: device.publicKey, ...record }, device.seed, backend);
}

export function verifyAddressRecord(
  bytes: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): AddressRecord {
  const { value: body, verified } = AddressRecordFormat.open(bytes, (b) => b.device, backend);
  if (!verified) {
    throw new KithError('CRYPTO_BAD_SIGNATURE', 'The address record is not signed by its device.');
  }
  return {
    deviceId: deviceIdFromSigningKey(body.device, backend),
    signingKey: body.device,
    seq: body.seq,
    addresses: body.addresses,
    issuedAt: body.issuedAt,
    bytes,
  };
}

/**
 * The device and seq a record claims, read without checking its signature: a receiver drops
 * copies that are not newer, or not of a known device, before paying for a verification
 * (docs/SECURITY.md "Flooding"). Never trust anything else from it.
 */
export function peekAddressRecord(bytes: Uint8Array): { deviceId: DeviceId; seq: number } {
  const body = AddressRecordFormat.body.decode(AddressRecordFormat.outer.decode(bytes).body);
  return { deviceId: deviceIdFromSigningKey(body.device), seq: body.seq };
}
