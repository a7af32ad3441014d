/**
 * Address record: where a device can be reached, signed by that device, with a sequence number
 * so the newest wins. Gossiped to the owner's devices and to friends.
 *
 * v2 adds the device's relay keys (docs/SECURITY.md "Locked relay mode"): an X25519 link key
 * and an Ed25519 relay signing key kept outside the passphrase, which a locked device uses for
 * links and storage receipts. The record is signed by the device key, so it certifies them.
 * A device without relay keys still signs v1.
 */
import { Type } from '@sinclair/typebox';
import { decodeCanonical } from './codec.ts';
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

const Key32 = Type.Uint8Array({ minByteLength: 32, maxByteLength: 32 });

export const AddressRecordFormatV2 = defineSignedFormat(
  'address-record',
  2,
  1024,
  Type.Object(
    {
      v: Type.Literal(2),
      device: Key32,
      seq: Type.Integer({ minimum: 0 }),
      addresses: Type.Array(Address, { maxItems: MAX_ADDRESSES }),
      issuedAt: Type.Integer({ minimum: 0 }),
      /** The device's relay link key (X25519 public), accepted for its Noise links. */
      linkKey: Key32,
      /** The device's relay signing key (Ed25519 public), accepted for its storage receipts. */
      relaySigner: Key32,
    },
    { additionalProperties: false },
  ),
  SIG.ADDRESS_RECORD,
);

/** Public halves of a device's relay keys, as its address record v2 certifies them. */
export interface RelayKeys {
  readonly linkKey: Uint8Array;
  readonly relaySigner: Uint8Array;
}

export interface AddressRecord {
  readonly deviceId: DeviceId;
  readonly signingKey: Uint8Array;
  readonly seq: number;
  readonly addresses: string[];
  readonly issuedAt: number;
  /** Present in v2 records. */
  readonly relay?: RelayKeys;
  readonly bytes: Uint8Array;
}

export function signAddressRecord(
  device: { seed: Uint8Array; publicKey: Uint8Array },
  record: { seq: number; addresses: string[]; issuedAt: number; relay?: RelayKeys },
  backend: CryptoBackend = defaultBackend(),
): Uint8Array {
  const { relay, ...rest } = record;
  if (relay) {
    return AddressRecordFormatV2.sign(
      { v: 2, device: device.publicKey, ...rest, linkKey: relay.linkKey, relaySigner: relay.relaySigner },
      device.seed,
      backend,
    );
  }
  return AddressRecordFormat.sign({ v: 1, device: device.publicKey, ...rest }, device.seed, backend);
}

function versionOf(bytes: Uint8Array): unknown {
  try {
    return (decodeCanonical(bytes, 2048) as { v?: unknown }).v;
  } catch {
    return undefined;
  }
}

export function verifyAddressRecord(
  bytes: Uint8Array,
  backend: CryptoBackend = defaultBackend(),
): AddressRecord {
  const opened =
    versionOf(bytes) === 2
      ? AddressRecordFormatV2.open(bytes, (b) => b.device, backend)
      : AddressRecordFormat.open(bytes, (b) => b.device, backend);
  if (!opened.verified) {
    throw new KithError('CRYPTO_BAD_SIGNATURE', 'The address record is not signed by its device.');
  }
  const body = opened.value;
  return {
    deviceId: deviceIdFromSigningKey(body.device, backend),
    signingKey: body.device,
    seq: body.seq,
    addresses: body.addresses,
    issuedAt: body.issuedAt,
    ...(body.v === 2 ? { relay: { linkKey: body.linkKey, relaySigner: body.relaySigner } } : {}),
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
